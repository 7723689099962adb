#!/usr/bin/python3
"""The Driver Manager end to end, in a real browser (Debian's chromium, headless, through
Selenium) against a real netdextd in a network namespace this test makes.

  1. The app, copied into netdextd's applications directory and run as nobody (its admin group is
     nogroup here), serves its window on 127.0.0.1; the page says "Not loaded".
  2. Install Dext (pressed from the keyboard) → "Needs approval"; `netdextctl approve` (root) →
     "Activated" with the interface en0, which `ip link` in the namespace shows.
  3. A second copy of the app carrying version 2 of the dext: Install Dext → the replacement
     question ("Activating") → Replace it → activated again (an approved extension's new version
     needs no second approval), on the same en0.
  4. The app run from its build directory (outside the applications directory) → "Activation
     error" with UnsupportedParentBundleLocation (3) and the reason.
  5. Deactivate Dext → "Not loaded", and en0 is gone.
A screenshot of each state goes to the output directory. Everything the test makes (namespace,
daemon, apps, browser, files) is removed at the end, also on failure.

Usage: browser_test.py --build BUILD_DIR --out OUTPUT_DIR (needs root).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver_manager_fixture import APP_NAME, DEADLINE, DEXT_ID, DriverManagerFixture, wait_until  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    sys.exit("browser_test: python3-selenium is missing (scripts/install-deps.sh installs it)")


class Run(DriverManagerFixture):
    def __init__(self, build, out):
        super().__init__(build, out)
        self.driver = None
        self.shots = 0

    def start_browser(self):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=900,760",
                     "--user-data-dir=" + os.path.join(self.work, "chromium")]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

    # ---- the page ----

    def element(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def state(self):
        return self.element("status").get_attribute("data-state")

    def wait_state(self, state):
        try:
            WebDriverWait(self.driver, DEADLINE).until(lambda d: self.state() == state)
        except TimeoutException:
            raise AssertionError("the page shows %s (%s), not %s" %
                                 (self.state(), self.element("status").text, state)) from None

    def shot(self, name):
        self.shots += 1
        self.driver.save_screenshot(os.path.join(self.out, "%d-%s.png" % (self.shots, name)))

    def interfaces(self):
        section = self.element("interfaces-section")
        return section.text if section.is_displayed() else ""

    def has_en0(self):
        return self.has_interface("en0")

    # ---- the test ----

    def run(self):
        self.start_daemon()
        app = self.install_app(APP_NAME)
        url = self.start_window(app, "app")
        self.start_browser()

        # 1. Not loaded. The page is labelled for assistive technology.
        self.driver.get(url)
        assert self.driver.title == "Driver Manager"
        assert self.driver.find_element(By.TAG_NAME, "h1").text == "Driver Manager"
        status = self.element("status")
        assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
        self.wait_state("notLoaded")
        assert self.element("state-label").text == "Not loaded"
        install = self.element("install")
        assert install.text == "Install Dext" and install.is_enabled()
        assert not self.element("deactivate").is_enabled()
        self.shot("not-loaded")

        # 2. Install Dext, from the keyboard → needs approval → approved → activated, en0.
        install.send_keys(Keys.ENTER)
        self.wait_state("needsApproval")
        assert self.element("state-label").text == "Needs approval"
        assert "sudo netdextctl approve " + DEXT_ID in self.element("status-text").text
        assert not self.element("install").is_enabled()
        self.shot("needs-approval")
        assert "[activated waiting for user]" in self.ctl("list").stdout
        self.ctl("approve", DEXT_ID)
        self.wait_state("activated")
        assert self.element("state-label").text == "Activated"
        WebDriverWait(self.driver, DEADLINE).until(lambda d: "en0" in self.interfaces(),
                                                   "the interface en0 on the page")
        wait_until(self.has_en0, "en0 in ip link")
        WebDriverWait(self.driver, DEADLINE).until(lambda d: "link active" in self.interfaces(),
                                                   "the link to be active")
        self.shot("activated")

        # 3. Version 2 in a second copy of the app: the replacement question, answered on the page.
        app2 = self.install_app(APP_NAME + "2", dext_version="2")
        url2 = self.start_window(app2, "app2")
        self.driver.get(url2)
        self.wait_state("activated")  # it sees what the system has installed
        self.element("install").click()
        WebDriverWait(self.driver, DEADLINE).until(lambda d: self.element("replacement").is_displayed(),
                                                   "the replacement question")
        assert self.state() == "activating"
        assert self.element("installed-version").text == "1.0 (1)"
        assert self.element("offered-version").text == "1.0 (2)"
        self.shot("activating-replacement")
        self.element("replace").click()
        # An approved extension's new version needs no second approval.
        self.wait_state("activated")
        assert not self.element("replacement").is_displayed()
        assert "(1.0/2)" in self.ctl("list").stdout
        wait_until(self.has_en0, "en0 kept across the replacement")

        # 4. The app outside the applications directory: the error state and the reason.
        url3 = self.start_window(self.built_app, "app-outside")
        self.driver.get(url3)
        self.wait_state("activated")
        self.element("install").click()
        self.wait_state("activationError")
        assert self.element("state-label").text == "Activation error"
        error = self.element("error")
        assert error.is_displayed() and error.get_attribute("role") == "alert"
        assert "UnsupportedParentBundleLocation (3)" in error.text, error.text
        assert "must be in " + os.path.realpath(self.applications) in error.text, error.text
        self.shot("activation-error")

        # 5. Deactivate Dext, from the app that installed version 2 → not loaded, en0 gone.
        self.driver.get(url2)
        self.wait_state("activated")
        self.element("deactivate").click()
        self.wait_state("notLoaded")
        wait_until(lambda: not self.has_en0(), "en0 to go")
        assert "[activated" not in self.ctl("list").stdout
        self.shot("deactivated")

    def cleanup(self):
        if self.driver:
            try:
                # What the page's script said, for a failure's post-mortem.
                with open(os.path.join(self.out, "browser-console.log"), "w") as log:
                    for entry in self.driver.get_log("browser"):
                        print(entry, file=log)
                self.driver.quit()
            except Exception as error:  # the browser may already be gone
                print("browser_test: quitting the browser: %s" % error, file=sys.stderr)
        super().cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, help="the build directory")
    parser.add_argument("--out", required=True, help="where screenshots and logs go")
    args = parser.parse_args()
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"]:
        if not os.access(tool, os.X_OK):
            sys.exit("browser_test: %s is missing (scripts/install-deps.sh installs it)" % tool)
    run = Run(args.build, args.out)
    started = time.monotonic()
    try:
        run.run()
    finally:
        run.cleanup()
    print("browser_test: passed in %.1f s; screenshots in %s" % (time.monotonic() - started, args.out))


if __name__ == "__main__":
    main()
