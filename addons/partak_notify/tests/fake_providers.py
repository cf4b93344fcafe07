# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Local stand-ins of the providers' web services, speaking their
documented API (answers and error codes), for tests without internet.

Kavenegar's SDK only speaks HTTPS: its server runs with a self-signed
certificate made by openssl for 127.0.0.1, trusted through
REQUESTS_CA_BUNDLE while the server runs."""
import json
import os
import socket
import subprocess
import tempfile
import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class FakeServer:
    "A werkzeug server on 127.0.0.1:<free port> in a thread."
    ssl = False

    def __init__(self):
        self.requests = []
        self.delivery = {}
        self.lock = threading.Lock()
        self._tmp = None

    def start(self):
        ssl_context = None
        if self.ssl:
            self._tmp = tempfile.TemporaryDirectory()
            cert = os.path.join(self._tmp.name, 'cert.pem')
            key = os.path.join(self._tmp.name, 'key.pem')
            subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048',
                    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', key, '-out', cert], check=True,
                capture_output=True)
            ssl_context = (cert, key)
            self._ca = os.environ.get('REQUESTS_CA_BUNDLE')
            os.environ['REQUESTS_CA_BUNDLE'] = cert
        self.server = make_server('127.0.0.1', 0, self.app,
            ssl_context=ssl_context, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever,
            daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join()
        if self.ssl:
            if self._ca is None:
                os.environ.pop('REQUESTS_CA_BUNDLE', None)
            else:
                os.environ['REQUESTS_CA_BUNDLE'] = self._ca
            self._tmp.cleanup()

    @property
    def host(self):
        return '127.0.0.1:%d' % self.server.server_port

    def app(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            response = self.handle(request)
        return response(environ, start_response)

    @staticmethod
    def json(data, status=200):
        return Response(json.dumps(data, ensure_ascii=False), status=status,
            content_type='application/json; charset=utf-8')


def closed_port_host():
    "host:port where nothing listens (a provider that is down)."
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return '127.0.0.1:%d' % port


class FakeKavenegar(FakeServer):
    """POST /v1/<API key>/sms/{send,status}.json with form data; answers
    {"return": {"status", "message"}, "entries"}; the HTTP status is the
    return status, as Kavenegar does.

    API keys: 'good-key'; 'no-credit' (418); 'disabled' (401); 'broken'
    (HTTP 502 with an HTML page).  Receptor '09000000000' is refused (411).
    """
    ssl = True
    next_id = 8792343

    def handle(self, request):
        parts = request.path.strip('/').split('/')
        # v1 / key / sms / method.json
        if len(parts) != 4 or parts[0] != 'v1' or parts[2] != 'sms':
            return self.error(404, 'method not found')
        key, method = parts[1], parts[3]
        form = request.form.to_dict()
        self.requests.append((method, key, form))
        if key == 'broken':
            return Response('<html>Bad Gateway</html>', status=502,
                content_type='text/html')
        if key == 'no-credit':
            return self.error(418, 'اعتبار حساب شما کافی نیست')
        if key == 'disabled':
            return self.error(401, 'حساب کاربری غیرفعال شده است')
        if key != 'good-key':
            return self.error(403, 'کد شناسائی API-Key معتبر نمیباشد')
        if method == 'send.json':
            if form.get('receptor') == '09000000000':
                return self.error(411, 'دریافت کننده نامعتبر است')
            FakeKavenegar.next_id += 1
            return self.json({'return': {'status': 200, 'message': 'تایید شد'},
                'entries': [{'messageid': FakeKavenegar.next_id,
                        'message': form.get('message'), 'status': 5,
                        'statustext': 'ارسال به مخابرات',
                        'sender': form.get('sender'),
                        'receptor': form.get('receptor'),
                        'date': 1356619709, 'cost': 120}]})
        if method == 'status.json':
            ids = form.get('messageid', '').split(',')
            return self.json({'return': {'status': 200, 'message': 'تایید شد'},
                'entries': [{'messageid': int(i),
                        'status': self.delivery.get(i, 4),
                        'statustext': 'وضعیت %s' % self.delivery.get(i, 4)}
                    for i in ids]})
        return self.error(404, 'method not found')

    def error(self, status, message):
        return self.json({'return': {'status': status, 'message': message},
                'entries': None}, status=status)


class FakeSmsIr(FakeServer):
    """POST /v1/send/bulk and GET /v1/send/<messageId> with X-API-KEY;
    answers {"status", "message", "data"}, status 1 is success.

    API keys: 'good-key'; 'no-credit' (102); others are not valid (10,
    HTTP 401).  Mobile '09000000000' is refused (104)."""
    next_id = 100200

    def handle(self, request):
        key = request.headers.get('X-API-KEY')
        self.requests.append((request.method, request.path, key,
                request.get_json(silent=True)))
        if key == 'no-credit':
            return self.answer(102, 'اعتبار کافی نیست', status=400)
        if key != 'good-key':
            return self.answer(10, 'کلید وب سرویس نامعتبر است', status=401)
        if request.method == 'POST' and request.path == '/v1/send/bulk':
            body = request.get_json()
            if body['mobiles'] == ['09000000000']:
                return self.answer(104, 'شماره موبایل نامعتبر', status=400)
            FakeSmsIr.next_id += 1
            return self.answer(1, 'موفق', {'packId': 'pack-1',
                    'messageIds': [FakeSmsIr.next_id], 'cost': 1.0})
        if request.method == 'GET' and request.path.startswith('/v1/send/'):
            message_id = request.path.rsplit('/', 1)[1]
            return self.answer(1, 'موفق', {'messageId': int(message_id),
                    'deliveryState': self.delivery.get(message_id, 3)})
        return self.answer(0, 'not found', status=404)

    def answer(self, code, message, data=None, status=200):
        return self.json({'status': code, 'message': message, 'data': data},
            status=status)
