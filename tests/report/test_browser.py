"""The report in a real browser: Debian's chromium, headless, loads report.html from a local
HTTP server, every image must decode, and a screenshot is taken. Exits 77 (skipped) without
chromium."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import report  # noqa: E402

CHECK_PAGE = """<!DOCTYPE html><html><body><pre id="out">PENDING</pre>
<script>
// The frame is made here, its load listener set before its source, so the event cannot be missed;
// no timers, so headless virtual time waits for the loading and decoding.
const frame = document.createElement('iframe');
frame.width = 1280;
frame.height = 900;
frame.addEventListener('load', () => {
  // A frame's load waits for its images: each is loaded, and decoded far enough to know its size.
  const imgs = Array.from(frame.contentDocument.images);
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const out = document.getElementById('out');
  out.textContent = 'IMAGES ' + ok + '/' + imgs.length;
  // Then a full decode of each; a failure replaces the count.
  Promise.all(imgs.map(i => i.decode().then(() => true, () => false))).then(r => {
    const decoded = r.filter(x => x).length;
    out.textContent = 'IMAGES ' + decoded + '/' + imgs.length;
  });
});
frame.src = 'report.html';
document.body.appendChild(frame);
</script></body></html>"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main():
    browser = chromium()
    if not browser:
        print("SKIP: no chromium here; scripts/setup.sh --tests installs Debian's")
        return 77
    work = tempfile.mkdtemp(prefix="versus-browser-")
    try:
        report.build(os.path.join(ROOT, "tests", "fixtures", "run_a"), work)
        with open(os.path.join(work, "check.html"), "w") as f:
            f.write(CHECK_PAGE)
        handler = functools.partial(QuietHandler, directory=work)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                 f"--user-data-dir={os.path.join(work, 'profile')}", "--virtual-time-budget=5000"]
        dom = subprocess.run(flags + ["--dump-dom", base + "/check.html"], capture_output=True, text=True, timeout=120)
        found = re.search(r"IMAGES (\d+)/(\d+)", dom.stdout)
        if not found:
            said = "\n".join(l for l in dom.stderr.splitlines() if "dbus" not in l)
            print("FAIL: the check page never reported; page:\n" + dom.stdout[-1500:] + "\nchromium said:\n" + said[-1500:])
            return 1
        ok, total = int(found.group(1)), int(found.group(2))
        if total == 0 or ok != total:
            print(f"FAIL: {ok} of {total} images decoded in the browser")
            return 1
        shot = os.environ.get("VERSUS_SCREENSHOT", os.path.join(work, "report.png"))
        subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,2400", base + "/report.html"],
                       capture_output=True, text=True, timeout=120)
        with open(shot, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n" or os.path.getsize(shot) < 10000:
                print(f"FAIL: the screenshot {shot} is not a real picture")
                return 1
        server.shutdown()
        print(f"OK: {ok}/{total} images decoded; screenshot {shot}")
        return 0
    finally:
        if "VERSUS_SCREENSHOT" not in os.environ:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
