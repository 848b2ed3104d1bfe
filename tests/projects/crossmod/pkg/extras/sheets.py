import openpyxl


class Sheet:
    def write(self, rows, path):
        book = openpyxl.Workbook()
        book.active.append(rows)
        book.save(path)
