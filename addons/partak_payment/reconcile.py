# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Reconciliation with the bank's settlement files (تطبیق با تسویه بانک).

The acquiring bank settles the card payments of a day in one file.  The
accountant imports it ("Import Bank Settlement"): Tryton's own
account.statement (module account_statement) gets one line per row, and
each row is matched to the partak.payment with the same bank reference
(RRN) and the exact amount.  Two lists show what needs a look: paid
payments with no settlement row after a few days, and settlement rows
with no payment.

The file is CSV (comma, semicolon or tab), UTF-8, one payment a row, in
this column order; a first line of headers is skipped:

    date, amount, terminal, reference, card mask, description
    1404/08/15, ۶٬۷۹۱٬۲۳۳, 12345678, 123456789012, 603799******1234, ...

* date: Jalali (1404/08/15) or Gregorian (2025-11-06), "/" or "-",
  optionally followed by a time, which is ignored;
* amount: integer Rials, Persian or Latin digits, thousands separators
  («,» «٬» «،» or spaces) allowed; more than zero;
* terminal: the terminal (pos / ipg) id, kept as text;
* reference: the bank's reference / RRN of the payment, required; a
  reference may appear once per company (a file imported twice is
  refused);
* card mask and description: kept as text, optional.

A row that cannot be read refuses the whole file with a message naming
the row: nothing is half-imported."""
import csv
import datetime
import io
import re
from decimal import Decimal

import jdatetime

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

#: name of the statement journal set up by statement_journal()
JOURNAL_NAME = 'تسویه درگاه‌های پرداخت'
COLUMNS = ('date', 'amount', 'terminal', 'reference', 'card_mask',
    'description')
_DIGITS = str.maketrans('۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789')
_SEPARATORS = re.compile(r'[,\u066c\u060c\s\u200c]')


class SettlementError(UserError):
    "A settlement file that cannot be imported."


def latin_digits(text):
    return (text or '').translate(_DIGITS).strip()


def parse_amount(text):
    "'۶٬۷۹۱٬۲۳۳' -> 6791233; None when it is not a positive integer."
    value = _SEPARATORS.sub('', latin_digits(text))
    if not re.fullmatch(r'\d{1,15}', value) or int(value) <= 0:
        return None
    return int(value)


def parse_date(text):
    """'1404/08/15' (Jalali) or '2025-11-06' (Gregorian), with an optional
    time after a space or 'T' -> datetime.date; None when unreadable."""
    value = re.split(r'[ T]', latin_digits(text), maxsplit=1)[0]
    match = re.fullmatch(r'(\d{4})[/-](\d{1,2})[/-](\d{1,2})', value)
    if not match:
        return None
    year, month, day = map(int, match.groups())
    try:
        if year < 1700:
            return jdatetime.date(year, month, day).togregorian()
        return datetime.date(year, month, day)
    except ValueError:
        return None


def parse_settlement(data):
    """The rows of a settlement file (bytes) as dicts of COLUMNS with
    'row' (the line number in the file), date a datetime.date and amount
    an int.  Raises SettlementError naming the first bad row."""
    try:
        text = bytes(data or b'').decode('utf-8-sig')
    except UnicodeDecodeError:
        raise SettlementError(gettext(
                'partak_payment.msg_settlement_encoding'))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=',;\t')
    except csv.Error:
        dialect = csv.excel
    rows, seen = [], {}
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect),
            start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not rows and number == 1 and parse_date(cells[0]) is None \
                and not re.search(r'\d', latin_digits(cells[0])):
            continue  # the headers
        cells += [''] * (len(COLUMNS) - len(cells))
        row = dict(zip(COLUMNS, cells[:len(COLUMNS)]))
        date, amount = parse_date(row['date']), parse_amount(row['amount'])
        if date is None:
            raise SettlementError(gettext(
                    'partak_payment.msg_settlement_date',
                    row=number, value=row['date'][:32]))
        if amount is None:
            raise SettlementError(gettext(
                    'partak_payment.msg_settlement_amount',
                    row=number, value=row['amount'][:32]))
        reference = latin_digits(row['reference'])
        if not reference:
            raise SettlementError(gettext(
                    'partak_payment.msg_settlement_reference',
                    row=number))
        if reference in seen:
            raise SettlementError(gettext(
                    'partak_payment.msg_settlement_duplicate_row',
                    row=number, reference=reference, first=seen[reference]))
        seen[reference] = number
        row.update(row=number, date=date, amount=amount,
            reference=reference[:64], terminal=latin_digits(
                row['terminal'])[:64],
            card_mask=latin_digits(row['card_mask'])[:32],
            description=row['description'][:250])
        rows.append(row)
    if not rows:
        raise SettlementError(gettext('partak_payment.msg_settlement_empty'))
    return rows


def statement_journal(company):
    """The statement journal of the gateways' settlements for ``company``
    (on the cash and bank account of the chart), created once."""
    pool = Pool()
    Journal = pool.get('account.statement.journal')
    Account = pool.get('account.account')
    ModelData = pool.get('ir.model.data')
    journals = Journal.search([
            ('company', '=', company.id),
            ('name', '=', JOURNAL_NAME),
            ], limit=1)
    if journals:
        return journals[0]
    accounts = Account.search([
            ('company', '=', company.id),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', False),
            ('type.statement', '=', 'balance'),
            ], order=[('code', 'ASC'), ('id', 'ASC')], limit=1)
    if not accounts:
        raise SettlementError(gettext(
                'partak_payment.msg_settlement_no_account'))
    journal, = Journal.create([{
                'name': JOURNAL_NAME,
                'journal': ModelData.get_id(
                    'account_statement', 'journal_statement'),
                'currency': company.currency.id,
                'company': company.id,
                'validation': 'amount',
                'account': accounts[0].id,
                }])
    return journal


class Settlement(ModelSQL, ModelView):
    """One row of a bank's settlement file, with the statement line it
    made and the payment it was matched to (by reference and amount)."""
    __name__ = 'partak.payment.settlement'
    __string__ = "Bank Settlement Row"
    company = fields.Many2One('company.company', "Company", required=True,
        readonly=True, ondelete='RESTRICT')
    statement = fields.Many2One('account.statement', "Statement",
        required=True, readonly=True, ondelete='CASCADE')
    statement_origin = fields.Many2One('account.statement.origin',
        "Statement Origin", readonly=True, ondelete='SET NULL')
    statement_line = fields.Many2One('account.statement.line',
        "Statement Line", readonly=True, ondelete='SET NULL',
        help="The line made for a matched row.")
    row = fields.Integer("Row", readonly=True,
        help="The line of the row in the imported file.")
    date = fields.Date("Date", required=True, readonly=True)
    amount = fields.Integer("Amount", required=True, readonly=True)
    terminal = fields.Char("Terminal", readonly=True)
    reference = fields.Char("Reference", required=True, readonly=True,
        help="The bank's reference (RRN) of the payment.")
    card_mask = fields.Char("Card", readonly=True)
    description = fields.Char("Description", readonly=True)
    payment = fields.Many2One('partak.payment', "Payment", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.reference, Index.Equality())),
                Index(t, (t.payment, Index.Range())),
                })
        # No __access__ on company: Tryton grants the *maximum* of the
        # model's and company.company's access (everybody reads
        # companies), which would open these rows to every user; the
        # company rule is in the XML (docs/roles.md).

    @classmethod
    def import_rows(cls, journal, rows, name):
        """Creates a draft statement of ``journal`` with one line per row
        (parse_settlement) and the matched settlement rows; returns the
        statement.  Refuses references already imported."""
        pool = Pool()
        Statement = pool.get('account.statement')
        StatementLine = pool.get('account.statement.line')
        Payment = pool.get('partak.payment')
        Event = pool.get('partak.payment.event')
        company = journal.company
        # One import at a time: the duplicate check must see the last one.
        Statement.lock()
        for row in rows:
            existing = cls.search([
                    ('company', '=', company.id),
                    ('reference', '=', row['reference']),
                    ], limit=1)
            if existing:
                raise SettlementError(gettext(
                        'partak_payment.msg_settlement_duplicate',
                        row=row['row'], reference=row['reference'],
                        statement=existing[0].statement.rec_name))
        matches = {}
        for row in rows:
            payments = Payment.search([
                    ('company', '=', company.id),
                    ('state', '=', 'paid'),
                    ('reference', '=', row['reference']),
                    ('amount', '=', row['amount']),
                    ], limit=1)
            matches[row['row']] = payments[0] if payments else None
        total = sum(r['amount'] for r in rows)
        last = journal.last_amount or 0
        # Every row is an origin of the statement (Tryton's place for
        # imported rows); a matched row also gets its line, on the
        # subscriber's receivable, and the accountant completes the rest.
        statement, = Statement.create([{
                    'name': name,
                    'company': company.id,
                    'journal': journal.id,
                    'date': max(r['date'] for r in rows),
                    'start_balance': last,
                    'end_balance': last + Decimal(total),
                    'total_amount': Decimal(total),
                    'number_of_lines': len(rows),
                    'origins': [('create', [{
                                    'number': r['reference'],
                                    'date': r['date'],
                                    'amount': Decimal(r['amount']),
                                    'party': (matches[r['row']].party.id
                                        if matches[r['row']] else None),
                                    'description': (' '.join(filter(None, [
                                                r['terminal'],
                                                r['card_mask'],
                                                r['description']])))[:250]
                                    or None,
                                    } for r in rows])],
                    }])
        origins = {o.number: o for o in statement.origins}
        line_values = []
        for row in rows:
            payment = matches[row['row']]
            if not payment:
                continue
            origin = origins[row['reference']]
            with Transaction().set_context(company=company.id):
                account = payment.party.account_receivable_used
            line_values.append({
                    'statement': statement.id,
                    'origin': origin.id,
                    'number': row['reference'],
                    'date': row['date'],
                    'amount': Decimal(row['amount']),
                    'party': payment.party.id,
                    'account': account.id,
                    'description': origin.description,
                    })
        lines = {l.number: l for l in StatementLine.create(line_values)}
        cls.create([{
                    'company': company.id,
                    'statement': statement.id,
                    'statement_origin': origins[r['reference']].id,
                    'statement_line': (lines[r['reference']].id
                        if r['reference'] in lines else None),
                    'row': r['row'],
                    'date': r['date'],
                    'amount': r['amount'],
                    'terminal': r['terminal'] or None,
                    'reference': r['reference'],
                    'card_mask': r['card_mask'] or None,
                    'description': r['description'] or None,
                    'payment': (matches[r['row']].id
                        if matches[r['row']] else None),
                    } for r in rows])
        for row in rows:
            payment = matches[row['row']]
            if payment:
                Event.log(payment, 'reconciled', amount=row['amount'],
                    message=gettext('partak_payment.msg_event_reconciled',
                        statement=statement.rec_name, row=row['row']))
        return statement


class Payment(metaclass=PoolMeta):
    __name__ = 'partak.payment'
    settlements = fields.One2Many('partak.payment.settlement', 'payment',
        "Bank Settlement", readonly=True)


class ImportSettlementStart(ModelView):
    "Import Bank Settlement"
    __name__ = 'partak.payment.settlement.import.start'
    company = fields.Many2One('company.company', "Company", required=True)
    journal = fields.Many2One('account.statement.journal', "Journal",
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty for the gateways' settlement journal.")
    file_ = fields.Binary("File", required=True, filename='filename',
        help="CSV: date, amount (Rial), terminal, reference (RRN), card "
        "mask, description; Jalali or Gregorian dates.")
    filename = fields.Char("File Name")
    statement = fields.Many2One('account.statement', "Statement",
        readonly=True)

    @staticmethod
    def default_company():
        return Transaction().context.get('company')


class ImportSettlement(Wizard):
    "Import Bank Settlement"
    __name__ = 'partak.payment.settlement.import'
    start = StateView('partak.payment.settlement.import.start',
        'partak_payment.settlement_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    open_ = StateAction('account_statement.act_statement_form')

    def transition_import_(self):
        rows = parse_settlement(self.start.file_)
        with without_check_access():
            journal = self.start.journal or statement_journal(
                self.start.company)
        Settlement = Pool().get('partak.payment.settlement')
        name = (self.start.filename or '').strip()[:100] or gettext(
            'partak_payment.msg_settlement_name',
            date=max(r['date'] for r in rows).isoformat())
        # The wizard's groups are accounting and administrators, who need
        # no rights on Tryton's statements themselves.
        with without_check_access():
            self.start.statement = Settlement.import_rows(
                journal, rows, name)
        return 'open_'

    def do_open_(self, action):
        action['res_id'] = [self.start.statement.id]
        action['views'].reverse()
        return action, {}
