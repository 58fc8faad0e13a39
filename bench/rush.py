#!/usr/bin/env python3
"""heao rush (make rush): simulated candidates log in, fill and save
during a window that closes mid-run; bench/run rush starts it and then
checks PostgreSQL against what it wrote.

  rush.py PORT CANDIDATES APPLICATION CLOSES SPREAD OUT

CANDIDATES: "exam_no<TAB>id_no" lines; APPLICATION: the JSON of a valid
application of batch 11; CLOSES: the epoch second batch 11 closes;
SPREAD: the seconds over which the candidates arrive (from now); OUT: a
directory for acks.tsv (every acknowledged save: exam_no, save_id,
checksum, duplicate, which application: a or b, sent, answered),
app-b.json (the other application of the two-browser saves) and
answers.tsv (every answer:
exam_no, step, status, error, seconds, retry-after).

Each candidate logs in, begins (accepts the notice), saves once.  One
in ten logs in from a second browser too and saves from both sessions at
the same moment, with two different applications: one save only may be
acknowledged (F14).  One in twenty sends its save again with the same
save_id, as a client would after a lost answer: the first answer again,
no second save.  The client uses no timeout shorter than 60 s: an answer
that does not come is a failure of the module (R2).
"""

import asyncio
import json
import os
import random
import sys
import time
import uuid

TIMEOUT = 60
CONCURRENCY = 400


class Browser:
    """One keep-alive connection and one cookie jar, as a browser."""

    def __init__(self, port):
        self.port = port
        self.reader = None
        self.writer = None
        self.sid = None
        self.csrf = None

    async def request(self, method, path, body=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port)

        data = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", "Host: rush",
                "User-Agent: heao-rush", f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if self.sid:
            head.append(f"Cookie: heao_sid={self.sid}")
        if self.csrf:
            head.append(f"X-CSRF-Token: {self.csrf}")

        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await self.writer.drain()

        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), []).append(v.strip())

        n = int(headers.get("content-length", ["0"])[0])
        payload = await self.reader.readexactly(n) if n else b""

        for c in headers.get("set-cookie", []):
            if c.startswith("heao_sid="):
                self.sid = c.split(";", 1)[0].split("=", 1)[1] or None

        if headers.get("connection", [""])[0].lower() == "close":
            self.close()

        try:
            answer = json.loads(payload) if payload else {}
        except ValueError:
            answer = {}

        return status, headers, answer

    def close(self):
        if self.writer:
            self.writer.close()
        self.writer = None


class Rush:

    def __init__(self, port, app, closes, out):
        self.port = port
        self.app = app
        self.closes = closes
        self.acks = open(os.path.join(out, "acks.tsv"), "w")
        self.answers = open(os.path.join(out, "answers.tsv"), "w")
        self.limit = asyncio.Semaphore(CONCURRENCY)

        # the same application with the first slot's adjustment changed
        self.other = json.loads(json.dumps(app))
        slot = self.other["sections"][0]["slots"][0]
        slot["adjust"] = "disagree" if slot["adjust"] == "agree" else "agree"
        with open(os.path.join(out, "app-b.json"), "w") as f:
            json.dump(self.other, f)

    def note(self, exam, step, status, answer, t0, headers):
        error = answer.get("error", "")
        if answer.get("reason"):
            error += "/" + answer["reason"]

        self.answers.write("%s\t%s\t%d\t%s\t%.3f\t%s\n" % (
            exam, step, status, error,
            time.time() - t0, headers.get("retry-after", [""])[0]))

    async def call(self, b, exam, step, method, path, body=None):
        t0 = time.time()
        try:
            status, headers, answer = await asyncio.wait_for(
                b.request(method, path, body), TIMEOUT)
        except (asyncio.TimeoutError, OSError,
                asyncio.IncompleteReadError) as e:
            b.close()
            self.answers.write("%s\t%s\t0\t%s\t%.3f\t\n" % (
                exam, step, type(e).__name__, time.time() - t0))
            return 0, {}, {}

        self.note(exam, step, status, answer, t0, headers)
        return status, headers, answer

    async def session(self, exam, id_no):
        b = Browser(self.port)
        status, _, answer = await self.call(
            b, exam, "login", "POST", "/api/login",
            {"exam_no": exam, "id_no": id_no, "password": "Bench@2021"})
        if status != 200:
            b.close()
            return None

        b.csrf = answer.get("csrf")
        status, _, _ = await self.call(
            b, exam, "begin", "POST", "/api/fill/11/begin",
            {"accept_notice": True})
        if status != 200:
            b.close()
            return None

        return b

    async def save(self, b, exam, app, save_id):
        which = "a" if app is self.app else "b"
        sent = time.time()
        status, _, answer = await self.call(
            b, exam, "save", "POST", "/api/fill/11/save",
            {"save_id": save_id, "application": app})

        if status == 200 and answer.get("saved") is True:
            self.acks.write("%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\n" % (
                exam, save_id, answer.get("checksum"),
                "t" if answer.get("duplicate") else "f", which, sent,
                time.time()))

        return status, answer

    async def candidate(self, k, exam, id_no, delay):
        await asyncio.sleep(delay)

        async with self.limit:
            if k % 10 == 3:
                await self.twice(exam, id_no)
                return

            b = await self.session(exam, id_no)
            if b is None:
                return

            save_id = str(uuid.uuid4())
            status, _ = await self.save(b, exam, self.app, save_id)

            if status == 200 and k % 20 == 7:
                await self.save(b, exam, self.app, save_id)

            b.close()

    async def twice(self, exam, id_no):
        """two browsers, two sessions, two saves at the same moment"""

        one, two = await asyncio.gather(self.session(exam, id_no),
                                        self.session(exam, id_no))
        other = self.other

        saves = []
        if one:
            saves.append(self.save(one, exam, self.app, str(uuid.uuid4())))
        if two:
            saves.append(self.save(two, exam, other, str(uuid.uuid4())))

        await asyncio.gather(*saves)

        for b in (one, two):
            if b:
                b.close()

    async def run(self, candidates, spread):
        tasks = []
        for k, (exam, id_no) in enumerate(candidates):
            delay = spread * k / len(candidates)
            tasks.append(self.candidate(k, exam, id_no, delay))

        await asyncio.gather(*tasks)
        self.acks.close()
        self.answers.close()


def main():
    port, cands, app, closes, spread, out = sys.argv[1:7]

    candidates = [line.rstrip("\n").split("\t")[:2]
                  for line in open(cands) if line.strip()]
    random.Random(7).shuffle(candidates)

    with open(app) as f:
        application = json.load(f)

    rush = Rush(int(port), application, float(closes), out)
    started = time.time()
    asyncio.run(rush.run(candidates, float(spread)))
    print("rush: %d candidates in %.0f s" % (len(candidates),
                                            time.time() - started))


if __name__ == "__main__":
    main()
