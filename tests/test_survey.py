# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo survey answered in headless Chromium (SPEC §3.10): the
subscriber of line 1132455123 sees «نظرسنجی کیفیت خدمات» open, is told
which required questions are missing, answers it once, and finds it marked
as answered.  Screenshots go to tests/screenshots/survey-*.png.
    .venv/bin/python -m pytest -q tests/test_survey.py
"""
import json
import sqlite3
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from sao import sao_login
from test_browser import (
    DESKTOP, KAMAL, both_sizes, browser, console_errors, login, pytestmark,
    screenshot, text, wait)

__all__ = ["browser", "pytestmark"]  # shared with test_browser

TITLE = 'نظرسنجی کیفیت خدمات'
SUGGESTION = 'لطفاً سرعت اینترنت در ساعات شب را بهتر کنید.'


def responses(portal):
    """(respondents of the demo survey, of them the subscriber of line
    1132455123, answers of that subscriber) read from the database."""
    query = ("SELECT COUNT(DISTINCT r.id), "
        "COUNT(DISTINCT CASE WHEN l.phone LIKE '%1132455123' "
        "THEN r.id END), "
        "COUNT(DISTINCT CASE WHEN l.phone LIKE '%1132455123' THEN a.id END) "
        "FROM partak_survey_response r "
        "JOIN partak_survey s ON s.id = r.survey "
        "JOIN partak_line l ON l.subscriber = r.party "
        "LEFT JOIN partak_survey_answer a ON a.response = r.id "
        "WHERE s.title = '" + TITLE + "'")
    if portal.backend == 'postgresql':
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=5432, user='postgres',
                dbname=portal.database) as connection:
            return tuple(connection.execute(query).fetchone())
    connection = sqlite3.connect(
        portal.db_path / ('%s.sqlite' % portal.database))
    try:
        return tuple(connection.execute(query).fetchone())
    finally:
        connection.close()


def survey_entry(driver):
    "The demo survey's row in the list of open surveys."
    rows = [a for a in driver.find_elements(
            By.CSS_SELECTOR, '.survey-list a') if TITLE in a.text]
    assert len(rows) == 1, text(driver)
    return rows[0]


def send(driver):
    form = driver.find_element(By.CSS_SELECTOR, 'form.survey-form')
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    wait(driver).until(EC.staleness_of(form))


def choose(driver, question, label):
    "Clicks the label of an answer in the fieldset of a question."
    fieldset = next(f for f in driver.find_elements(
            By.CSS_SELECTOR, 'fieldset.survey-question')
        if question in f.find_element(By.TAG_NAME, 'legend').text)
    option = next(l for l in fieldset.find_elements(By.TAG_NAME, 'label')
        if l.text.strip() == label)
    option.click()
    return fieldset


def test_answer_demo_survey(portal, browser):
    # The demo answers fill the results, but leave the visitor's turn.
    before, mine, _ = responses(portal)
    assert before >= 15 and mine == 0, (before, mine)

    driver = browser()
    login(driver, portal.base_url, KAMAL)
    menu = driver.find_element(By.LINK_TEXT, 'نظرسنجی')
    menu.click()
    wait(driver).until(EC.url_contains('/portal/survey'))
    entry = survey_entry(driver)
    assert 'پاسخ داده شده' not in entry.text
    both_sizes(driver, 'survey-1-list')

    entry.click()
    form = wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'form.survey-form')))
    assert driver.find_element(By.TAG_NAME, 'html').get_attribute(
        'dir') == 'rtl'
    legends = [l.text for l in form.find_elements(By.TAG_NAME, 'legend')]
    assert len(legends) == 4, legends
    assert 'سرعت اینترنت' in legends[0]
    both_sizes(driver, 'survey-2-form')

    # Only the suggestion typed: the three required questions are marked
    # and the text is kept.
    driver.find_element(By.CSS_SELECTOR, 'textarea').send_keys(SUGGESTION)
    send(driver)
    page = text(driver)
    assert 'برخی پاسخ‌ها وارد نشده' in page, page
    assert page.count('لطفاً به این پرسش پاسخ دهید') == 3, page
    assert driver.find_element(By.CSS_SELECTOR, 'textarea').get_attribute(
        'value') == SUGGESTION
    both_sizes(driver, 'survey-3-errors')
    # The refused form is answered 400, which Chromium logs; nothing else.
    errors = console_errors(driver)
    assert all('400' in e and '/portal/survey/' in e for e in errors), errors

    choose(driver, 'سرعت اینترنت', '۴')
    choose(driver, 'پشتیبانی', 'خوب')
    choose(driver, 'کدام سرویس', 'اینترنت ADSL')
    send(driver)
    wait(driver).until(EC.url_contains('/portal/survey?thanks='))
    page = text(driver)
    assert 'از شما سپاسگزاریم! پاسخ‌های شما ثبت شد.' in page, page
    assert 'پاسخ داده شده' in survey_entry(driver).text
    both_sizes(driver, 'survey-4-thanks')

    # The survey now shows the answers given instead of the form.
    survey_entry(driver).click()
    wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'dl.survey-answers')))
    assert not driver.find_elements(By.CSS_SELECTOR, 'form.survey-form')
    page = text(driver)
    for expected in ['به این نظرسنجی پاسخ داده‌اید', '۴ از ۵', 'خوب',
            'اینترنت ADSL', SUGGESTION]:
        assert expected in page, expected
    both_sizes(driver, 'survey-5-answered')
    assert responses(portal) == (before + 1, 1, 4)
    assert console_errors(driver) == []


def model_data_id(portal, fs_id):
    query = ("SELECT db_id FROM ir_model_data WHERE module = 'partak_survey' "
        "AND fs_id = '" + fs_id + "'")
    if portal.backend == 'postgresql':
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=5432, user='postgres',
                dbname=portal.database) as connection:
            return connection.execute(query).fetchone()[0]
    connection = sqlite3.connect(
        portal.db_path / ('%s.sqlite' % portal.database))
    try:
        return connection.execute(query).fetchone()[0]
    finally:
        connection.close()


def test_back_office_results_chart(portal, browser):
    "The demo survey's counts as a Tryton bar chart in sao"
    views = [model_data_id(portal, 'result_view_graph'),
        model_data_id(portal, 'result_view_list')]
    driver = browser()
    sao_login(driver, portal, 'admin', 'admin',
        'model/partak.survey.result;views=%s&domain=%s' % (
            urllib.parse.quote(json.dumps(views)),
            urllib.parse.quote(json.dumps([['survey.title', '=', TITLE]]))))
    chart = wait(driver, 60).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, '.graph svg, .graph canvas, svg .bb-bars, '
                'svg .c3-bars')))
    assert chart
    # One bar per score (5) and per option (4 + 4) of the demo survey.
    bars = wait(driver).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, 'path.bb-bar, path.c3-bar') or False)
    assert len(bars) == 13, len(bars)
    # The axis splits labels into words (tspans) without spaces.
    assert 'اینترنتADSL' in text(driver).replace(' ', '').replace('\n', '')
    screenshot(driver, 'survey-6-back-office-chart', DESKTOP)
