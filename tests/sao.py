# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Logging in to sao and calling trytond through it, for the browser
tests of the back office."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_browser import wait


def sao_login(driver, portal, login, password, fragment=''):
    """Logs in to sao as login, the browser in Tehran's time zone; fragment
    (after #database/) opens a tab at once, as a link to sao does."""
    driver.execute_cdp_cmd('Emulation.setTimezoneOverride',
        {'timezoneId': 'Asia/Tehran'})
    driver.get('%s/#%s%s' % (portal.base_url, portal.database,
            '/' + fragment if fragment else ''))
    login_field = wait(driver, 60).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, '.login-dialog input#login')))
    # trytond lists its databases (a select, filled by an RPC call), or
    # the only one is shown read-only, or it is typed in.
    def database_field(driver):
        for field in driver.find_elements(By.CSS_SELECTOR,
                '.login-dialog #database'):
            if not field.is_displayed():
                continue
            if field.tag_name != 'select' or portal.database in [
                    o.get_attribute('value') for o in
                    field.find_elements(By.TAG_NAME, 'option')]:
                return field
        return False
    field = wait(driver).until(database_field)
    if field.tag_name == 'select':
        Select(field).select_by_value(portal.database)
    elif field.get_attribute('readonly') is None:
        field.clear()
        field.send_keys(portal.database)
    login_field.send_keys(login)
    driver.find_element(By.CSS_SELECTOR,
        '.login-dialog button[type=submit]').click()
    entry = wait(driver).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, '.ask-dialog input[type=password]')))
    entry.send_keys(password)
    driver.find_element(By.CSS_SELECTOR, '.ask-dialog .btn-primary').click()
    wait(driver, 60).until(lambda d: d.execute_script(
            'return !!(Sao.main_menu_screen && Sao.Session.current_session'
            ' && Sao.Session.current_session.context.language)'
            ' && jQuery.active == 0'))
    assert driver.execute_script('return Sao.Session.current_session.login'
        ) == login


def rpc(driver, method, *params, context=None, plain=False):
    """Calls trytond as the user logged in to sao, through sao's own RPC
    (sao's session context, updated with context).  plain: the result
    through JSON, so that sao's Decimals arrive as numbers and bytes as
    {'base64': ...} (the driver gives a Decimal as {})."""
    result = driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        var plain = arguments[3];
        function bytes(key, value) {
            if (value instanceof Uint8Array) {
                var text = '';
                for (var i = 0; i < value.length; i++) {
                    text += String.fromCharCode(value[i]);
                }
                return {base64: btoa(text)};
            }
            return value;
        }
        Sao.rpc({method: arguments[0],
                params: arguments[1].concat([arguments[2]])},
            Sao.Session.current_session, true, false).then(
            function (result) {
                done({result: plain ? JSON.stringify(result, bytes)
                    : result}); },
            function (error) { done({error: JSON.stringify(error)}); });
        """, method, list(params), context or {}, plain)
    if 'error' in result:
        raise AssertionError('%s: %s' % (method, result['error']))
    if plain:
        return json.loads(result['result'])
    return result['result']
