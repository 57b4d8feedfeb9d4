"""lbconvert_csv: one CSV row per box, an example lbconvert writer plugin."""
import csv
from typing import Any

from lbconvert import BoxAnnotation, Item, Writer, WriterOption


class CsvWriter(Writer):
    name = "csv"
    description = "one CSV row per box: image, class, left, top, width, height"
    writer_options = {"delimiter": WriterOption(str, ",", "field separator"),
                      "header": WriterOption(bool, True, "write a header row")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = open(self.out / "boxes.csv", "w", newline="", encoding="utf-8")
        self.rows = csv.writer(self.file, delimiter=self.writer_option("delimiter"))
        if self.writer_option("header"):
            self.rows.writerow(["image", "class", "left", "top", "width", "height"])

    def write(self, item: Item) -> None:  # add() counts the item, then calls this
        for obj in item.objects:
            if isinstance(obj, BoxAnnotation):
                box = obj.bounding_box
                self.rows.writerow([item.file_name, obj.name, box.left, box.top,
                                    box.width, box.height])
                self.report.annotations_written += 1
            else:
                self.report.drop(f"{obj.kind} not representable in csv")

    def finish(self) -> None:  # then the base class moves OUT into place
        self.file.close()

    def abort(self) -> None:
        self.file.close()
        super().abort()
