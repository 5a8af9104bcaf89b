#!/usr/bin/env python3
"""Loads the exporter's status page in a real browser (Debian's chromium, driven by Selenium
through chromedriver; nothing is downloaded) and waits until it shows what a person would look
for: a chart drawn with data, and the given alert in the given state. Saves a screenshot.

usage: browse_status_page.py URL ALERT STATE SCREENSHOT

Exits 0 when both appeared; otherwise 1, printing what the page showed last.
"""

import os
import shutil
import sys

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Selenium must not look for a browser or driver to download.
os.environ.setdefault("SE_OFFLINE", "true")


def main() -> int:
    url, alert, state, screenshot = sys.argv[1:5]
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1100",
    ):
        options.add_argument(argument)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    # The page reloads itself: an element found may be gone a moment later.
    patient = WebDriverWait(
        driver,
        90,
        poll_frequency=0.5,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )
    try:
        driver.get(url)

        def chart_drawn(driver):
            line = driver.find_element(
                By.CSS_SELECTOR, 'figure[data-series="request_rate"] polyline'
            )
            points = (line.get_attribute("points") or "").split()
            # Drawn by the browser, with an extent: non-empty data on screen.
            width = driver.execute_script("return arguments[0].getBBox().width", line)
            return len(points) >= 2 and width > 0

        def alert_shown(driver):
            rows = driver.find_elements(
                By.CSS_SELECTOR, f'tr[data-alert="{alert}"][data-state="{state}"]'
            )
            return bool(rows) and rows[0].is_displayed()

        patient.until(chart_drawn)
        patient.until(alert_shown)
        # Both at once on the frame saved.
        patient.until(lambda d: chart_drawn(d) and alert_shown(d))
        driver.save_screenshot(screenshot)
        print(f"chart drawn and {alert} {state}; screenshot at {screenshot}")
        return 0
    except TimeoutException:
        print("the page never showed a drawn chart and the alert; it last read:")
        print(driver.find_element(By.TAG_NAME, "body").text)
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
