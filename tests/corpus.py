"""A corpus of bad inputs, generated (never hand-copied), for the hardening tests.

Each builder returns ``(file name, bytes)``. The tests say what the page must show for each.
"""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pandas as pd


def csv_bytes(frame: pd.DataFrame, **kw) -> bytes:
    return frame.to_csv(index=False, **kw).encode("utf-8")


def skewed_labels(n: int = 120) -> list[str]:
    sizes = {"Toys": int(n * 0.6), "Games": int(n * 0.25), "Books": n - int(n * 0.6) - int(n * 0.25)}
    return [c for c, k in sizes.items() for _ in range(k)]


def base_frame(n: int = 120) -> pd.DataFrame:
    labels = skewed_labels(n)
    return pd.DataFrame({
        "title": [f"product number {i} with words" for i in range(n)],
        "price": [f"{(i % 17) + 0.5:.2f}" for i in range(n)],
        "category": labels,
    })


def empty() -> tuple[str, bytes]:
    return "empty.csv", b""


def header_only() -> tuple[str, bytes]:
    return "header.csv", b"title,price,category\n"


def one_column() -> tuple[str, bytes]:
    return "one_column.csv", csv_bytes(pd.DataFrame({"category": skewed_labels()}))


def one_class() -> tuple[str, bytes]:
    f = base_frame()
    f["category"] = "Toys"
    return "one_class.csv", csv_bytes(f)


def all_labels_missing() -> tuple[str, bytes]:
    f = base_frame()
    f["category"] = ""
    return "no_labels.csv", csv_bytes(f)


def numeric_labels() -> tuple[str, bytes]:
    f = base_frame()
    f["category"] = [str({"Toys": 1, "Games": 22, "Books": 333}[c]) for c in f["category"]]
    return "numeric_labels.csv", csv_bytes(f)


def date_labels() -> tuple[str, bytes]:
    f = base_frame()
    f["category"] = [{"Toys": "2024-01-01", "Games": "2024-02-01", "Books": "2024-03-01"}[c] for c in f["category"]]
    return "date_labels.csv", csv_bytes(f)


def mixed_type_labels() -> tuple[str, bytes]:
    f = base_frame()
    f["category"] = [{"Toys": "7", "Games": "Games", "Books": "2024-03-01"}[c] for c in f["category"]]
    return "mixed_labels.csv", csv_bytes(f)


def many_classes(k: int = 10_000) -> tuple[str, bytes]:
    f = pd.DataFrame({"price": [str(i % 97) for i in range(k + 50)],
                      "category": [f"class {i}" for i in range(k)] + ["class 0"] * 50})
    return "many_classes.csv", csv_bytes(f)


def singleton_class() -> tuple[str, bytes]:
    f = base_frame()
    f.loc[0, "category"] = "Lonely"
    return "singleton.csv", csv_bytes(f)


def duplicate_columns() -> tuple[str, bytes]:
    return "dupes.csv", b"price,price,category\n1,2,a\n3,4,b\n5,6,a\n"


def blank_column_names() -> tuple[str, bytes]:
    return "blanks.csv", b"price,,category\n1,x,a\n3,y,b\n5,z,a\n"


def inf_and_nan() -> tuple[str, bytes]:
    f = base_frame()
    f.loc[0, "price"] = "inf"
    f.loc[1, "price"] = "-inf"
    f.loc[2, "price"] = "NaN"
    f.loc[3, "price"] = ""
    return "inf_nan.csv", csv_bytes(f)


def thousands_and_currency() -> tuple[str, bytes]:
    f = base_frame()
    f["price"] = [f"£{1000 + i:,}.50" for i in range(len(f))]
    return "money.csv", csv_bytes(f)


def huge_cells() -> tuple[str, bytes]:
    f = base_frame(60)
    f.loc[0, "title"] = "word " * 20_000  # 100 kB
    return "huge_cells.csv", csv_bytes(f)


def many_columns(n_cols: int = 5000, n_rows: int = 60) -> tuple[str, bytes]:
    rng = np.random.default_rng(0)
    data = {f"f{i}": rng.integers(0, 100, n_rows).astype(str) for i in range(n_cols)}
    data["category"] = skewed_labels(n_rows)
    return "wide.csv", csv_bytes(pd.DataFrame(data))


def bad_bytes_in_utf8() -> tuple[str, bytes]:
    good = "title,category\n" + "".join(f"Crème {i},Toys\n" for i in range(20))
    raw = good.encode("utf-8")
    cut = raw.index(b"Cr\xc3\xa8me 10")
    return "mixed_encoding.csv", raw[:cut] + b"\xff" + raw[cut:]


def truncated_parquet() -> tuple[str, bytes]:
    buf = io.BytesIO()
    base_frame().to_parquet(buf, index=False)
    raw = buf.getvalue()
    return "cut.parquet", raw[: len(raw) // 2]


def multi_sheet_xlsx() -> tuple[str, bytes]:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        pd.DataFrame({"note": ["read me"]}).to_excel(xw, sheet_name="About", index=False)
        base_frame().to_excel(xw, sheet_name="Products", index=False)
    return "book.xlsx", buf.getvalue()


def zip_of_two() -> tuple[str, bytes]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("products.csv", csv_bytes(base_frame()))
        zf.writestr("readme.txt", b"hello")
    return "two.zip", buf.getvalue()


def gzip_csv() -> tuple[str, bytes]:
    return "cat.csv.gz", gzip.compress(csv_bytes(base_frame()))


HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "<script>alert('x')</script>", "Jouets 🧸🚂", "ألعاب الأطفال",
                 "=HYPERLINK(\"http://x\")"]


def hostile_names() -> tuple[str, bytes]:
    n = 100
    labels = [HOSTILE_NAMES[i % len(HOSTILE_NAMES)] if i % 4 else "Plain" for i in range(n)]
    f = pd.DataFrame({"title": [f"item {i} <b>bold</b>" for i in range(n)], "price": [str(i) for i in range(n)],
                      "category": labels})
    return "hostile.csv", csv_bytes(f)


def formula_cells() -> tuple[str, bytes]:
    f = base_frame()
    f.loc[0, "title"] = "=SUM(A1:A9)"
    f.loc[1, "title"] = "+cmd|' /C calc'!A0"
    f.loc[2, "title"] = "@SUM(1)"
    f.loc[3, "title"] = "-2+3"
    return "formulas.csv", csv_bytes(f)
