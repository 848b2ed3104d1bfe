import threading

registry_lock = threading.Lock()
audit_lock = threading.Lock()
