# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A stand-in NAS that receives Disconnect-Request and CoA-Request
(RFC 5176) and answers ACK (or NAK), for the demo and the tests:

    python -m trytond.modules.partak_usage.nas_simulator \\
        [--address 127.0.0.1] [--port 3799] --secret SECRET

Each request is printed as one line (kind and attributes), so that with
the demo one can watch a subscriber being cut when the traffic runs out."""
import argparse
import queue
import sys
import threading

from pyrad import packet, server

from .job import dictionary


class NASSimulator(server.Server):
    "Plays the NAS: records each request and answers ACK (or NAK)."

    def __init__(self, port, secret, address='127.0.0.1', echo=False):
        super().__init__(addresses=[address], coaport=port,
            hosts={address: server.RemoteHost(
                    address, secret.encode(), 'partak')},
            dict=dictionary(), auth_enabled=False, acct_enabled=False,
            coa_enabled=True)
        self.received = queue.Queue()
        #: 'ack' or 'nak': how the next requests are answered
        self.answer = 'ack'
        self.echo = echo

    def _reply(self, pkt, kind, nak_code):
        attributes = {k: pkt[k] for k in pkt.keys()}
        self.received.put((kind, attributes))
        if self.echo:
            print('%s %s' % (kind, attributes), flush=True)
        reply = self.CreateReplyPacket(pkt)
        if self.answer == 'nak':
            reply.code = nak_code
            reply['Error-Cause'] = 'Session-Context-Not-Found'
        self.SendReplyPacket(pkt.fd, reply)

    def HandleDisconnectPacket(self, pkt):
        self._reply(pkt, 'disconnect', packet.DisconnectNAK)

    def HandleCoaPacket(self, pkt):
        self._reply(pkt, 'coa', packet.CoANAK)

    def drain(self):
        "The requests received since the last call, oldest first."
        items = []
        while True:
            try:
                items.append(self.received.get_nowait())
            except queue.Empty:
                return items

    def start(self):
        "Serves in a daemon thread and returns self."
        threading.Thread(target=self.Run, daemon=True).start()
        return self


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m trytond.modules.partak_usage.nas_simulator',
        description=__doc__.split('\n\n')[0])
    parser.add_argument('--address', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=3799)
    parser.add_argument('--secret', required=True)
    args = parser.parse_args(argv)
    print('NAS simulator on %s:%d' % (args.address, args.port), flush=True)
    NASSimulator(args.port, args.secret, args.address, echo=True).Run()


if __name__ == '__main__':
    sys.exit(main())
