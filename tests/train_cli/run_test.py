#!/usr/bin/env python3
"""CTest entry: recd-train --quarantined-users FILE.

  run_test.py PATH/TO/recd-train PATH/TO/recd-datagen

On a small synthetic log: the listed users' events are left out (the report's
quarantined_users.events is exactly what the event count drops by against a
run without the list), ids the data does not know are counted, and a file
with a bad line fails with an error naming the file and the line.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def train(train_bin, data, out, extra):
    cmd = [train_bin, "--events", os.path.join(data, "events.csv"), "--catalog", os.path.join(data, "catalog.jsonl"),
           "--models", "pop", "--threads", "1", "--no-progress", "--out", out] + extra
    return run(cmd)


def events_in(stdout):
    m = re.search(r"(\d+) users, (\d+) items, (\d+) events", stdout)
    assert m, f"no event count in:\n{stdout}"
    return int(m.group(3))


def main():
    train_bin, datagen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="recd_train_cli_") as tmp:
        data = os.path.join(tmp, "data")
        made = run([datagen, "--items", "60", "--users", "120", "--events", "3000", "--seed", "5", "--out", data,
                    "--no-progress"])
        assert made.returncode == 0, made.stderr
        with open(os.path.join(data, "events.csv")) as f:
            users = sorted({row["user_id"] for row in csv.DictReader(f)})
        listed = users[:5]
        quarantine = os.path.join(tmp, "quarantined.txt")
        with open(quarantine, "w") as f:
            f.write("# recd-cli quarantine-list\n" + "\n".join(listed) + "\nnot-a-user\n\n" + listed[0] + "\n")

        plain = train(train_bin, data, os.path.join(tmp, "plain"), [])
        assert plain.returncode == 0, plain.stderr
        report = os.path.join(tmp, "report.json")
        left_out = train(train_bin, data, os.path.join(tmp, "left_out"),
                         ["--quarantined-users", quarantine, "--report", report])
        assert left_out.returncode == 0, left_out.stderr
        with open(report) as f:
            q = json.load(f)["quarantined_users"]
        print("report:", q)
        assert q["listed"] == 6 and q["users"] == 5 and q["unknown"] == 1, q
        dropped = events_in(plain.stdout) - events_in(left_out.stdout)
        assert q["events"] == dropped > 0, f"report says {q['events']} events left out, the count fell by {dropped}"

        with open(quarantine, "w") as f:
            f.write(listed[0] + "\n# a comment\n" + listed[1] + " " + listed[2] + "\n")
        bad = train(train_bin, data, os.path.join(tmp, "bad"), ["--quarantined-users", quarantine])
        print("bad file:", bad.stderr.strip())
        assert bad.returncode == 1, bad.returncode
        assert f"{quarantine}:3: more than one id" in bad.stderr, bad.stderr
    print("ok")


if __name__ == "__main__":
    main()
