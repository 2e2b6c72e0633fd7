"""The report in a real browser: Debian's chromium, headless, loads report.html from a local
HTTP server, every image must decode, and a screenshot is taken. Twice: the fixture run_a, and a
sweep of 6 offered rates for pthread and epoll at 64 connections, whose page must show the
latency-throughput curve with both runners' lines. Exits 77 (skipped) without chromium."""

import functools
import html
import http.server
import json
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
  // The count and the alt texts of those shown, said at once: the full decode may not end before
  // the page is read on a busy machine.
  const imgs = Array.from(frame.contentDocument.images);
  const out = document.getElementById('out');
  const say = shown => {
    const names = imgs.filter((i, n) => shown[n]).map(i => i.alt);
    out.textContent = 'IMAGES ' + names.length + '/' + imgs.length + ' SHOWN ' + JSON.stringify(names);
  };
  say(imgs.map(i => i.complete && i.naturalWidth > 0));
  // Then a full decode of each; a failure replaces the count.
  Promise.all(imgs.map(i => i.decode().then(() => true, () => false))).then(say);
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


def sweep(folder):
    """A sweep of 6 offered rates for pthread and epoll at 64 connections, as the quick preset's
    latency sweep would write it: the report must show a curve for each."""
    sys.path.insert(0, HERE)
    import fixture_latency
    from versus_report import data, hgrm, plots_latency
    os.makedirs(folder)
    fixture_latency.write_run(folder, fixture_latency.sweep_rows(runners=("pthread", "epoll"), workers=64))
    run = data.load_run(folder)
    [(_, title, fig)] = plots_latency.redis_latency_curve(hgrm.with_spectra(data.summarise(run.rows), folder),
                                                          run.env)
    curves = {line.get_label(): len(line.get_xdata()) for line in fig.axes[0].get_lines()}
    return title, curves


def decoded_images(flags, base, folder):
    """(images shown, images in all, the alt texts of those shown) of folder/report.html, or a
    failure's text."""
    dom = subprocess.run(flags + ["--dump-dom", f"{base}/{folder}/check.html"], capture_output=True, text=True,
                         timeout=120)
    found = re.search(r"IMAGES (\d+)/(\d+)", dom.stdout)
    if not found:
        said = "\n".join(l for l in dom.stderr.splitlines() if "dbus" not in l)
        return "the check page never reported; page:\n" + dom.stdout[-1500:] + "\nchromium said:\n" + said[-1500:]
    names = re.search(r"SHOWN (\[.*\])", dom.stdout)
    alts = json.loads(html.unescape(names.group(1))) if names else []
    return int(found.group(1)), int(found.group(2)), alts


def main():
    browser = chromium()
    if not browser:
        print("SKIP: no chromium here; scripts/setup.sh --tests installs Debian's")
        return 77
    work = tempfile.mkdtemp(prefix="versus-browser-")
    try:
        curve_title, curves = sweep(os.path.join(work, "sweep-results"))
        if curves.get("pthread") != 6 or curves.get("epoll") != 6:
            print(f"FAIL: the sweep's curve should have 6 points for pthread and for epoll, has {curves}")
            return 1
        for source, folder in ((os.path.join(ROOT, "tests", "fixtures", "run_a"), "run_a"),
                               (os.path.join(work, "sweep-results"), "sweep")):
            report.build(source, os.path.join(work, folder))
            with open(os.path.join(work, folder, "check.html"), "w") as f:
                f.write(CHECK_PAGE)
        handler = functools.partial(QuietHandler, directory=work)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                 f"--user-data-dir={os.path.join(work, 'profile')}", "--virtual-time-budget=5000"]
        said = []
        for folder in ("run_a", "sweep"):
            got = decoded_images(flags, base, folder)
            if isinstance(got, str):
                print(f"FAIL: {folder}: {got}")
                return 1
            ok, total, alts = got
            if total == 0 or ok != total:
                print(f"FAIL: {folder}: {ok} of {total} images decoded in the browser")
                return 1
            said.append(f"{folder} {ok}/{total} images decoded")
        if curve_title not in alts:
            print(f"FAIL: the sweep's report shows no {curve_title!r}; its images: {alts}")
            return 1
        shot = os.environ.get("VERSUS_SCREENSHOT", os.path.join(work, "report.png"))
        subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,2400", base + "/run_a/report.html"],
                       capture_output=True, text=True, timeout=120)
        with open(shot, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n" or os.path.getsize(shot) < 10000:
                print(f"FAIL: the screenshot {shot} is not a real picture")
                return 1
        server.shutdown()
        print(f"OK: {'; '.join(said)} (the sweep's with {curve_title!r}: pthread and epoll, 6 points each); "
              f"screenshot {shot}")
        return 0
    finally:
        if "VERSUS_SCREENSHOT" not in os.environ:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
