#!/usr/bin/python3
"""The Driver Manager's command line (--activate, --deactivate, --status) against a real netdextd
in a network namespace this test makes — the SystemExtensions library, the app and netdextd's
rules for apps, end to end, in every build (sanitizers included):

  * --status before anything is installed; netdextd not reachable → exit status 3
  * --activate waits for the approval `netdextctl approve` gives, then prints the interface
  * an app without the system-extension.install entitlement → MissingEntitlement (2)
  * the app outside the applications directory → UnsupportedParentBundleLocation (3), and in
    developer mode it may
  * an app may deactivate only what it activated → ExtensionNotFound (4); the one that did →
    the interface goes

Usage: cli_test.py --build BUILD_DIR --out OUTPUT_DIR (needs root).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver_manager_fixture import APP_NAME, DEXT_ID, DriverManagerFixture, wait_until  # noqa: E402


def expect(condition, what, *details):
    if not condition:
        raise AssertionError(what + "".join("\n  " + str(d) for d in details))


def run(f):
    f.start_daemon()
    app = f.install_app(APP_NAME)

    status, out, err = f.command(app, "--status")
    expect(status == 0 and out == DEXT_ID + ": not installed\n", "--status before install", status, out, err)
    status, out, err = f.command(app, "--status", socket=os.path.join(f.work, "nowhere.sock"))
    expect(status == 3 and "cannot reach netdextd" in err, "--status without netdextd", status, err)

    activation = f.start_command(app, "--activate", "--timeout", "30")
    wait_until(lambda: "[activated waiting for user]" in f.ctl("list").stdout, "the request to wait for approval")
    f.ctl("approve", DEXT_ID)
    out, err = activation.communicate(timeout=30)
    expect(activation.returncode == 0, "--activate", activation.returncode, out, err)
    for words in ["Needs approval: ", "sudo netdextctl approve " + DEXT_ID, "Activated: ",
                  "interface en0, link active"]:
        expect(words in out, "--activate printed " + words, out)
    expect(f.has_interface("en0"), "en0 in ip link")
    status, out, err = f.command(app, "--status")
    expect(status == 0 and "1.0 (1): activated enabled" in out and "interface en0: link active" in out,
           "--status when activated", out, err)

    unentitled = f.install_app("Unentitled", entitled=False)
    status, out, err = f.command(unentitled, "--activate", "--timeout", "20")
    expect(status == 1 and "MissingEntitlement (2)" in err and "system-extension.install" in err,
           "an app without the entitlement", status, err)

    status, out, err = f.command(f.built_app, "--activate", "--timeout", "20")
    expect(status == 1 and "UnsupportedParentBundleLocation (3)" in err and
           "must be in " + os.path.realpath(f.applications) in err, "the app outside", status, err)
    f.ctl("developer", "on")
    status, out, err = f.command(f.built_app, "--activate", "--timeout", "20")
    expect(status == 0 and "Activated: " in out, "the app outside, in developer mode", status, out, err)
    f.ctl("developer", "off")

    status, out, err = f.command(f.built_app, "--deactivate", "--timeout", "20")
    expect(status == 1 and "ExtensionNotFound (4)" in err and "activated no extension" in err,
           "deactivating another app's extension", status, err)
    expect(f.has_interface("en0"), "en0 still there")
    status, out, err = f.command(app, "--deactivate", "--timeout", "20")
    expect(status == 0 and "Not loaded: " in out, "--deactivate", status, out, err)
    wait_until(lambda: not f.has_interface("en0"), "en0 to go")
    status, out, err = f.command(app, "--status")
    expect(status == 0 and "not installed" in out, "--status after deactivation", out, err)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, help="the build directory")
    parser.add_argument("--out", required=True, help="where the logs go")
    args = parser.parse_args()
    fixture = DriverManagerFixture(args.build, args.out)
    started = time.monotonic()
    try:
        run(fixture)
    finally:
        fixture.cleanup()
    print("cli_test: passed in %.1f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
