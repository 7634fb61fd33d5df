#!/usr/bin/env python3
"""CTest entry: the ops dashboard (/ of the ops listener) in a real browser.

  run_test.py PATH/TO/recd PATH/TO/recd-bench SCREENSHOT.png

Starts recd on the demo bundle with recd-bench sending RecommendItems at
40/s, opens the page in headless Chromium through chromedriver (Debian's
chromium, chromium-driver and python3-selenium), and checks that the live
tiles show a QPS, p50 and p99 and cache hit rates, that the serving bundle
and every model with its validation metrics are shown, that the page
fetches nothing from another origin, and that the "try it" panel answers a
user with recent items: k items, each with a stacked bar of per-model
contributions and its reason text. The daemon runs two experiment arms;
the page lists both with their share, weights and live answers, and the
answer names its arm. A shadow ranks a quarter of the answers with
popularity alone; the page shows its share, ranked count, overlap@k and
latency. Saves a screenshot of the page.
Exit 77 = skipped (no chromium, chromedriver or selenium).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

# Debian's python3-selenium is installed for Debian's interpreter; a pyenv or
# venv python3 earlier in PATH does not see it.
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("SKIPPED: needs python3-selenium (scripts/install-deps.sh)")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test_util"))
from recd_daemon import ROOT, Daemon, http_get  # noqa: E402

K = 5
ARMS = ("experiments: {salt: dashboard-1, arms: [{name: control, share: 0.5}, "
        "{name: cooccur, share: 0.5, fusion: {weights: {knn: 1.0, markov: 1.0}}}]}\n")
# A shadow ranking a quarter of the answers with popularity alone.
SHADOW = "shadow: {name: popular, fraction: 0.25, fusion: {weights: {pop: 1.0}}}\n"


def number(text):
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return None


def check_page(driver, daemon):
    status = json.loads(http_get(daemon.ops_url("/api/status"))[1])
    driver.get(daemon.ops_url("/"))
    assert driver.title == "recd ops", driver.title
    wait = WebDriverWait(driver, 20, poll_frequency=0.2)
    text = lambda id: driver.find_element(By.ID, id).text  # noqa: E731
    # Two polls 2 s apart under load give the live figures.
    wait.until(lambda d: (number(text("qps")) or 0) > 0)
    print(f"live: QPS {text('qps')}, p50 {text('p50')}, p99 {text('p99')}, state cache {text('state-hits')}, "
          f"result cache {text('result-hits')}, RSS {text('rss')}")
    for tile in ("p50", "p99"):
        assert text(tile).endswith(("ms", "us")), f"{tile}: {text(tile)!r}"
    for tile in ("state-hits", "result-hits"):
        assert text(tile).endswith("%"), f"{tile}: {text(tile)!r}"
    assert text("bundle-version") == status["bundle_version"], (text("bundle-version"), status["bundle_version"])
    assert text("config-version") == status["config_version"]
    rows = driver.find_elements(By.CSS_SELECTOR, "#models tbody tr.model")
    names = sorted(r.find_elements(By.TAG_NAME, "td")[0].text for r in rows)
    assert names == sorted(m["name"] for m in status["models"]), names
    assert all("HR@10" in r.find_elements(By.TAG_NAME, "td")[7].text for r in rows), "validation metrics missing"
    arms = {}
    for r in driver.find_elements(By.CSS_SELECTOR, "#experiments tbody tr.arm"):
        cells = [td.text for td in r.find_elements(By.TAG_NAME, "td")]
        arms[cells[0]] = cells
    assert sorted(arms) == ["control", "cooccur"], arms
    assert all(cells[1] == "50.0 %" for cells in arms.values()), arms
    assert all(int(cells[5]) > 0 for cells in arms.values()), f"an arm without answers: {arms}"
    assert arms["cooccur"][6].startswith("knn 1.00, markov 1.00 (bundle "), arms["cooccur"]
    print(f"experiments: {arms}")
    wait.until(lambda d: (number(text("shadow-ranked")) or 0) > 0)
    assert text("shadow-name") == "popular", text("shadow-name")
    assert text("shadow-share") == "25.0 %", text("shadow-share")
    overlap = number(text("shadow-overlap"))
    assert overlap is not None and 0 <= overlap < 1, f"overlap@k {text('shadow-overlap')!r}: pop alone should differ"
    assert text("shadow-p99").endswith("ms"), text("shadow-p99")
    print(f"shadow: ranked {text('shadow-ranked')}, overlap@k {text('shadow-overlap')}, "
          f"rank correlation {text('shadow-correlation')}, p99 {text('shadow-p99')}")
    # Self-contained: no script, style or image from anywhere else.
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for e in driver.find_elements(By.TAG_NAME, tag):
            assert not e.get_attribute(attr), f"<{tag} {attr}={e.get_attribute(attr)}> fetches from elsewhere"


def check_try_it(driver, daemon):
    with open(os.path.join(ROOT, "models/demo/1/items.txt")) as f:
        recent = [next(f).strip() for _ in range(2)]
    driver.find_element(By.ID, "try-user").send_keys("u1")
    driver.find_element(By.ID, "try-recent").send_keys(",".join(recent))
    k = driver.find_element(By.ID, "try-k")
    k.clear()
    k.send_keys(str(K))
    driver.find_element(By.ID, "try-go").click()
    wait = WebDriverWait(driver, 20, poll_frequency=0.2)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#try-result .item")) == K or
               "error" in d.find_element(By.ID, "try-meta").text)
    items = driver.find_elements(By.CSS_SELECTOR, "#try-result .item")
    assert len(items) == K, f"try it: {driver.find_element(By.ID, 'try-meta').text}"
    for item in items:
        segments = item.find_elements(By.CSS_SELECTOR, ".bar .seg")
        assert segments, "an item without contribution bars"
        assert any(s.size["width"] > 0 for s in segments), "contribution bars of zero width"
        reason = item.find_element(By.CSS_SELECTOR, ".reason").text
        assert reason, "an item without its reason"
    assert " arm " in driver.find_element(By.ID, "try-meta").text, driver.find_element(By.ID, "try-meta").text
    first = items[0].find_element(By.CSS_SELECTOR, ".reason").text
    assert recent[0] in first or recent[1] in first or "ranked mostly by" in first, first
    legend = driver.find_element(By.ID, "try-legend").text
    print(f"try it: {K} items; first: {items[0].find_element(By.CSS_SELECTOR, '.item-id').text}: {first}; "
          f"legend: {legend!r}")


def main():
    recd, bench, screenshot = sys.argv[1:4]
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        print("SKIPPED: needs chromium and chromium-driver (scripts/install-deps.sh)")
        return 77
    tmp = tempfile.mkdtemp(prefix="recd-dashboard-test-")
    daemon = load = driver = None
    try:
        daemon = Daemon(recd, tmp, extra_config=ARMS + SHADOW)
        load = subprocess.Popen([bench, "--target", f"127.0.0.1:{daemon.grpc_port}", "--open-loop", "--qps", "40",
                                 "--duration", "30", "--warmup", "0", "--channels", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1400,1100", f"--user-data-dir={tmp}/chromium"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.set_page_load_timeout(20)
        check_page(driver, daemon)
        check_try_it(driver, daemon)
        driver.save_screenshot(screenshot)
        print(f"screenshot: {screenshot}")
        print("PASS")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        if driver is not None:
            driver.save_screenshot(screenshot)
            print(f"screenshot: {screenshot}")
        if daemon is not None:
            print("--- recd log\n" + daemon.log_text())
        return 1
    finally:
        if driver is not None:
            driver.quit()
        if load is not None:
            load.terminate()
            load.wait()
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
