"""Writes seed inputs for the `ingest` fuzz target: small folders encoded as the target reads
them (files separated by b"\\n==>", each file's first byte choosing its name from the target's
NAMES list), made of the fixtures' reports plain, gzipped, in zip and tar.gz archives, and
with run.json files.

usage: python3 seed.py FIXTURES_DIR CORPUS_DIR
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

# Indices into NAMES in fuzz_targets/ingest.rs.
A_XML, B_XML_GZ, NESTED, RUN1_JSON, RUN2_XML, RUN2_JSON, RUN2_TGZ, RUN3_ZIP, RUN3_XML, RUN4_TGZ = range(10)
SEP = b"\n==>"


def zip_of(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def tgz_of(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def folder(files):
    return SEP.join(bytes([pick]) + data for pick, data in files)


def main():
    fixtures, corpus = sys.argv[1], sys.argv[2]
    os.makedirs(corpus, exist_ok=True)
    reports = []
    for root, _, names in os.walk(fixtures):
        for name in sorted(names):
            path = os.path.join(root, name)
            if name.endswith(".xml") and os.path.getsize(path) <= 16 * 1024:
                with open(path, "rb") as f:
                    reports.append(f.read())
    meta = json.dumps({"run_id": "r-1", "commit": "abc123", "branch": "main",
                       "timestamp": "2026-01-02T03:04:05Z", "attempt": 2}).encode()
    seeds = []
    for i, report in enumerate(reports):
        other = reports[(i + 1) % len(reports)]
        kind = i % 5
        if kind == 0:
            seeds.append(folder([(A_XML, report), (RUN1_JSON, meta), (RUN2_XML, other)]))
        elif kind == 1:
            seeds.append(folder([(B_XML_GZ, gzip.compress(report)), (NESTED, other)]))
        elif kind == 2:
            seeds.append(folder([(RUN3_ZIP, zip_of([("reports/a.xml", report), ("run.json", meta)]))]))
        elif kind == 3:
            seeds.append(folder([(RUN2_TGZ, tgz_of([("TEST-a.xml", report)])), (RUN2_JSON, meta)]))
        else:
            seeds.append(folder([(RUN4_TGZ, tgz_of([("a.xml", report), ("b/c.xml", other)])), (RUN3_XML, report)]))
    for seed in seeds:
        if len(seed) <= 65536:
            name = hashlib.sha1(seed).hexdigest()
            with open(os.path.join(corpus, name), "wb") as f:
                f.write(seed)
    print(f"{len(seeds)} seeds from {len(reports)} reports in {corpus}")


if __name__ == "__main__":
    main()
