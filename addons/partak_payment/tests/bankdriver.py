# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Test helpers: a local bank server in a thread and the payer's browser
on its page (open the page, click a button, come back with the bank's
callback parameters)."""
import html
import re
import threading
import urllib.parse

from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Response

from trytond.modules.partak_payment.gateways.testbank import BANKS

HIDDEN = re.compile(
    r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


class BankServer:
    "The local server of one bank, on 127.0.0.1 and a free port."

    def __init__(self, type_, **kwargs):
        self.bank = BANKS[type_](**kwargs)
        self.server = make_server('127.0.0.1', 0, self.bank, threaded=True)
        self.url = 'http://127.0.0.1:%d' % self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever,
            daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def closed_url():
    "The URL of a port nobody listens on."
    probe = make_server('127.0.0.1', 0, lambda e, s: [])
    url = 'http://127.0.0.1:%d' % probe.server_port
    probe.server_close()
    return url


def pay(testcase, bank, redirect_url, choice, wsgi=None):
    """The payer on ``bank``'s page at ``redirect_url``: checks the page,
    clicks «پرداخت موفق» (success) or «انصراف» (failure) and returns the
    callback's URL and parameters as the bank sends them.  ``wsgi`` is the
    app serving the bank (default: the bank itself)."""
    client = Client(wsgi or bank, Response)
    parts = urllib.parse.urlsplit(redirect_url)
    path = parts.path + ('?' + parts.query if parts.query else '')
    page = client.get(path)
    testcase.assertEqual(page.status_code, 200)
    text = page.get_data(as_text=True)
    testcase.assertIn('dir="rtl"', text)
    testcase.assertIn('پرداخت موفق', text)
    testcase.assertIn('انصراف', text)
    action = re.search(r'<form method="post" action="([^"]*)"', text)
    testcase.assertTrue(action, text)
    target = urllib.parse.urlsplit(html.unescape(action.group(1)))
    answer = client.post(target.path + (
            '?' + target.query if target.query else ''),
        data={'choice': choice})
    if bank.callback_method == 'get':
        testcase.assertEqual(answer.status_code, 303)
        location = urllib.parse.urlsplit(answer.headers['Location'])
        url = urllib.parse.urlunsplit(location._replace(query=''))
        return url, dict(urllib.parse.parse_qsl(location.query))
    testcase.assertEqual(answer.status_code, 200)
    text = answer.get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]*)" id="callback">',
        text)
    testcase.assertTrue(form, text)
    return html.unescape(form.group(1)), {
        html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(text)}
