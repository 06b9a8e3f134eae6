#!/usr/bin/env python3
"""Baseline for bench/run: the same pseudonymisation in Python's standard library.

Reads a `;`-separated incidents export, folds names with unicodedata (NFKD, combining marks
removed), splits Dutch prefixes, reduces initials, parses the date formats and computes the
same five HMAC-SHA256 keys per row with hmac.digest (OpenSSL underneath). Prints
"python_records_per_s N".
"""
import csv
import datetime
import hmac
import sys
import time
import unicodedata

# The same prefix table as core/name_normaliser.cc.
PREFIXES = set("""a|aan|aan t|aan de|aan den|aan der|aan het|af|al|am|am de|auf|auf dem|auf den|
auf der|auf ter|aus|aus dem|aus den|aus der|aus m|ben|bij|bij t|bij de|bij den|bij het|bin|
boven d|d|da|dal|dalla|das|de|de die|de die le|de l|de la|de las|de le|de van der|deca|degli|
dei|del|della|den|der|des|di|die|do|don|dos|du|el|het|in|in t|in de|in den|in der|in het|l|la|
las|le|les|lo|los|op|op t|op de|op den|op der|op gen|op het|op ten|over|over t|over de|
over den|over het|s|t|te|ten|ter|tho|thoe|thor|to|toe|tot|uijt|uijt t|uijt de|uijt den|
uijt te de|uijt ten|uit|uit t|uit de|uit den|uit het|uit te de|uit ten|unter|van|van t|van de|
van de l|van den|van der|van gen|van het|van la|van ter|van van de|ver|vom|von|von t|von dem|
von den|von der|voor|voor t|voor de|voor den|voor in t|vor|vor der|zu|zum|zur|abou|abu|ait|bou|
ibn""".replace("\n", "").split("|"))
KEY = b"\x5a" * 32
SEP = b"\x1f"


def fold(text):
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def words(text):
    """As Words in core/name_normaliser.cc: a prefix hyphenated to the name is split off."""
    out, cur = [], []
    for c in text:
        if "a" <= c <= "z":
            cur.append(c)
        elif c == "-" and cur and not out and "".join(cur) in PREFIXES:
            out.append("".join(cur))
            cur = []
        elif c in "'-":
            continue
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def surname(raw):
    """(prefix letters, surname, glued reading or None); the bench has no abbreviations."""
    text = fold(raw)
    prefix = []
    if "," in text:
        main, tail = text.split(",", 1)
        prefix = words(tail)
        text = main
    w = words(text)
    if not prefix:
        for n in (4, 3, 2, 1):
            if len(w) > n and " ".join(w[:n]) in PREFIXES:
                prefix, w = w[:n], w[n:]
                break
        else:
            for n in (4, 3, 2, 1):
                if len(w) > n and " ".join(w[-n:]) in PREFIXES and len(" ".join(w[-n:])) > 1:
                    prefix, w = w[-n:], w[:-n]
                    break
    if not w:
        raise ValueError("the surname has no letters")
    glued = "".join(prefix) + "".join(w) if prefix else None
    return "".join(prefix), "".join(w), glued


def initials(raw):
    """One letter per given name: J.P. JP -> jp; Th. IJ. -> one each (as the C++ rules)."""
    text = unicodedata.normalize("NFKD", raw)
    text = "".join(c for c in text if not unicodedata.combining(c))
    out = []
    i = 0
    while i < len(text):
        if not text[i].isascii() or not text[i].isalpha():
            i += 1
            continue
        j = i
        while j < len(text) and text[j].isascii() and text[j].isalpha():
            j += 1
        token = text[i:j]
        period = j < len(text) and text[j] == "."
        low = token.lower()
        if low == "ij" or len(token) == 1:
            out.append(low[0])
        elif token.islower():
            out.append(low[0] if period else low)
        elif token.isupper():
            out.append(low)
        else:
            out.extend(c.lower() for k, c in enumerate(token) if k == 0 or c.isupper())
        i = j
    return "".join(out)


def parse_date(text):
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        y, m, d = int(text[:4]), int(text[5:7]), int(text[8:])
    else:
        sep = "-" if "-" in text else "/"
        d, m, y = (int(x) for x in text.split(sep))
    datetime.date(y, m, d)  # raises on an impossible date
    if not 1800 <= y <= 2199:
        raise ValueError("year")
    return y, m, d


def phonetic(s):
    """The Dutch phonetic code of core/name_normaliser.cc DutchPhonetic."""
    code = []
    last = ""
    first = True
    i = 0
    n = len(s)

    def emit(cls):
        nonlocal last, first
        if cls != last:
            code.append(cls)
        last = cls
        first = False

    while i < n:
        c = s[i]
        c1 = s[i + 1] if i + 1 < n else ""
        c2 = s[i + 2] if i + 2 < n else ""
        if c == "a" and c1 == "u" or c == "o" and c1 == "u":
            emit("U"); i += 2
        elif c in "ae" and c1 == "i" and c2 == "j":
            emit("Y"); i += 3
        elif c == "e" and c1 in ("i", "y") or c == "i" and c1 == "j":
            emit("Y"); i += 2
        elif c in "aeiou":
            if first:
                code.append("A")
            last = ""; first = False; i += 1
        elif c == "s":
            emit("S"); i += 3 if c1 == "c" and c2 == "h" else 1
        elif c == "c":
            if c1 == "h":
                emit("G"); i += 2
            elif c1 == "k":
                emit("K"); i += 2
            else:
                emit("S" if c1 in ("e", "i", "y") else "K"); i += 1
        elif c == "p":
            emit("F" if c1 == "h" else "P"); i += 2 if c1 == "h" else 1
        elif c == "t":
            emit("T"); i += 2 if c1 == "h" else 1
        elif c == "d":
            emit("T"); i += 2 if c1 == "t" else 1
        elif c == "k":
            emit("K"); i += 2 if c1 == "w" else 1
        elif c == "q":
            emit("K"); i += 2 if c1 == "u" else 1
        elif c == "x":
            if last != "K":
                code.append("K")
            code.append("S"); last = "S"; first = False; i += 1
        elif c in "yj":
            emit("Y"); i += 1
        elif c in "vf":
            emit("F"); i += 1
        elif c == "z":
            emit("S"); i += 1
        elif c == "h":
            last = ""; first = False; i += 1
        elif c in "gwblmnr":
            emit(c.upper()); i += 1
        else:
            i += 1
    return "".join(code)


def row_keys(prefix, sur, ini, y, m, d, dob):
    """The keys of core/match_keys.cc ComputeMatchKeys, as (level, key)."""
    s = sur.encode()
    out = []
    if ini:
        i0 = ini[0].encode()
        out.append((1, hmac.digest(KEY, b"pprl/v1/full" + SEP + prefix.encode() + SEP + s + SEP +
                                   ini.encode() + SEP + dob, "sha256")[:16]))
        out.append((2, hmac.digest(KEY, b"pprl/v1/first_initial" + SEP + s + SEP + i0 + SEP + dob,
                                   "sha256")[:16]))
    out.append((3, hmac.digest(KEY, b"pprl/v1/surname_dob" + SEP + s + SEP + dob, "sha256")[:16]))
    if ini:
        out.append((4, hmac.digest(KEY, b"pprl/v1/phonetic" + SEP + phonetic(sur).encode() + SEP +
                                   i0 + SEP + dob, "sha256")[:16]))
        if d <= 12 and d != m:
            lo, hi = min(d, m), max(d, m)
            out.append((5, hmac.digest(KEY, b"pprl/v1/day_month_swapped" + SEP + s + SEP + i0 +
                                       SEP + b"%04d%02d%02d" % (y, lo, hi), "sha256")[:16]))
    return out


def main():
    path = sys.argv[1]
    expected = None
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            expected = [line.split() for line in f]
    start = time.perf_counter()
    rows = 0
    mismatches = 0
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        for row in reader:
            prefix, sur, glued = surname(row[0])
            ini = initials(row[1])
            y, m, d = parse_date(row[2])
            dob = b"%04d%02d%02d" % (y, m, d)
            keys, levels = [], []
            # Each reading of the surname (as written, and with its prefix glued on) gives keys;
            # the glued one only at first_initial and surname_dob; a key both give is kept once.
            for pre, name, levels_kept in [(prefix, sur, (1, 2, 3, 4, 5))] + (
                    [("", glued, (2, 3))] if glued else []):
                for level, k in row_keys(pre, name, ini, y, m, d, dob):
                    if level not in levels_kept:
                        continue
                    if k not in keys:
                        keys.append(k)
                        levels.append(level)
            category, role = row[5].strip().lower(), row[6].strip().lower()
            parse_date(row[4])
            record_id = row[3].strip()
            if not record_id:
                raise ValueError("record id")
            if expected is not None and rows < len(expected):
                got = ["%d:%s" % (lv, k.hex()) for lv, k in zip(levels, keys)]
                if got != expected[rows]:
                    mismatches += 1
            rows += 1
    elapsed = time.perf_counter() - start
    print("python_records_per_s %.0f" % (rows / elapsed))
    if expected is not None:
        checked = min(rows, len(expected))
        print("python_same_keys %d/%d" % (checked - mismatches, checked))
        if mismatches:
            sys.exit("baseline: the Python keys differ from the C++ keys; the comparison is void")


if __name__ == "__main__":
    main()
