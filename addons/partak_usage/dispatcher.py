# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sends Disconnect/CoA jobs as soon as they are queued.

    python -m trytond.modules.partak_usage.dispatcher -d DATABASE [-c CONF]

The accounting function queues a job in SQL when a subscriber's traffic
runs out and notifies the channel `partak_radius_job`; this process
LISTENs to it and sends the pending jobs at once (the cron
`partak.radius.job|send_pending` does the same each minute, so the
dispatcher is optional: it only removes the wait).  Jobs queued by Python
(line collected, password changed, ...) go through Tryton's task queue.
Run one dispatcher per database (e.g. a systemd service); it also sends
what is pending when it starts and once a minute."""
import argparse
import logging
import sys
import urllib.parse

logger = logging.getLogger(__name__)
CHANNEL = 'partak_radius_job'


def connect(database):
    "A psycopg connection to database with trytond's [database] uri."
    import psycopg
    from trytond import config
    uri = urllib.parse.urlsplit(config.get('database', 'uri'))
    return psycopg.connect(host=uri.hostname, port=uri.port,
        user=urllib.parse.unquote(uri.username) if uri.username else None,
        password=(urllib.parse.unquote(uri.password)
            if uri.password else None),
        dbname=database, autocommit=True)


def send_pending(database):
    from trytond.modules.partak_services.setup import run_in_transaction
    from trytond.pool import Pool

    def send():
        Job = Pool().get('partak.radius.job')
        return len(Job.send_pending())
    return run_in_transaction(database, send)


def run(database, interval=60, once=False):
    from trytond.pool import Pool
    Pool(database).init()
    with connect(database) as connection:
        connection.execute('LISTEN %s' % CHANNEL)
        while True:
            count = send_pending(database)
            if count:
                logger.info("%d Disconnect/CoA job(s) sent", count)
            if once:
                return count
            # wait for a notification (or the interval), then drain
            for _ in connection.notifies(timeout=interval, stop_after=1):
                pass


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m trytond.modules.partak_usage.dispatcher',
        description=__doc__.split('\n\n')[0])
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('-c', '--config', help="trytond configuration")
    parser.add_argument('--interval', type=int, default=60,
        help="seconds between two sends without notification")
    parser.add_argument('--once', action='store_true',
        help="send what is pending and exit")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    from trytond import config
    if options.config:
        config.update_etc(options.config)
    if not config.get('database', 'uri', default='').startswith('postgres'):
        sys.exit('the dispatcher needs PostgreSQL ([database] uri)')
    try:
        run(options.database, interval=options.interval, once=options.once)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
