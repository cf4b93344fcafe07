# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Reconciliation with the bank's settlement files (تطبیق با تسویه بانک;
docs/accounting.md, entry 9).

The acquiring bank settles the card payments of a day in one file.  The
accountant imports it ("Import Bank Settlement"): Tryton's own
account.statement (module account_statement) gets one origin per row, and
each row is matched to the paid partak.payment with the same bank
reference (RRN) and the exact amount.  A matched row gets its statement
line on the clearing account 1.3, the account the payment's entry debited
(accounting.clearing_account), with the subscriber as party; a row with a
bank fee gets a second line, of −fee, on the expense account 5.1
(accounting.fee_account).  When the accountant validates the statement,
Tryton's entry of each row is Dr 1.1 bank (amount − fee), Dr 5.1 fee /
Cr 1.3 amount, and its 1.3 line is reconciled with the payment's 1.3 debit
(StatementLine.reconcile, in Tryton's place for a statement line's
reconciliation; cancelling the statement undoes it): once posted, 1.3 is
zero for the settled payments.  A matched payment that is not in the
books still gets its 1.3 line, left open (the statement's "Reconcile").

Two lists show what needs a look: paid payments with no settlement row
after a few days, and settlement rows with no payment.  A row with no
payment is an origin without a line: Tryton refuses to validate (the
lines do not add up to the file's total) and to post (a pending origin)
the statement until the accountant gives it its line.

The file is CSV (comma, semicolon or tab), UTF-8, one payment a row, in
this column order; a first line of headers is skipped:

    date, amount, terminal, reference, card mask, description, fee
    1404/08/15, ۶٬۷۹۱٬۲۳۳, 12345678, 123456789012, 603799******1234, ...

* date: Jalali (1404/08/15) or Gregorian (2025-11-06), "/" or "-",
  optionally followed by a time, which is ignored;
* amount: integer Rials, Persian or Latin digits, thousands separators
  («,» «٬» «،» or spaces) allowed; more than zero;
* terminal: the terminal (pos / ipg) id, kept as text;
* reference: the bank's reference / RRN of the payment, required; a
  reference may appear once per company (a file imported twice is
  refused);
* card mask and description: kept as text, optional;
* fee: optional, the bank's fee in integer Rials (default 0, less than
  the amount): the amount is the payment's, the bank pays amount − fee.

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
from trytond.modules.partak_services import books

from . import accounting

#: name of the statement journal set up by statement_journal()
JOURNAL_NAME = 'تسویه درگاه‌های پرداخت'
COLUMNS = ('date', 'amount', 'terminal', 'reference', 'card_mask',
    'description', 'fee')
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


def parse_fee(text):
    "'' -> 0, '۴٬۵۰۰' -> 4500; None when it is not an integer >= 0."
    value = _SEPARATORS.sub('', latin_digits(text))
    if not value:
        return 0
    if not re.fullmatch(r'\d{1,15}', value):
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
    'row' (the line number in the file), date a datetime.date, amount
    and fee ints.  Raises SettlementError naming the first bad row."""
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
        fee = parse_fee(row['fee'])
        if fee is None or fee >= amount:
            raise SettlementError(gettext(
                    'partak_payment.msg_settlement_fee',
                    row=number, value=row['fee'][:32]))
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
        row.update(row=number, date=date, amount=amount, fee=fee,
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
    amount = fields.Integer("Amount", required=True, readonly=True,
        help="The payment's amount: the bank pays it less the fee.")
    fee = fields.Integer("Fee", readonly=True,
        help="The bank's fee, booked to the expense account.")
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

    @staticmethod
    def default_fee():
        return 0

    @classmethod
    def import_rows(cls, journal, rows, name):
        """Creates a draft statement of ``journal`` with one origin per row
        (parse_settlement), the lines of the matched rows (the amount on
        the clearing account, −fee on the fee account) and the settlement
        rows; returns the statement.  Refuses references already
        imported."""
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
        matched = [r for r in rows if matches[r['row']]]
        clearing = accounting.clearing_account(company)
        if matched and not clearing:
            raise SettlementError(gettext(
                    'partak_payment.msg_settlement_no_clearing',
                    code=accounting.CLEARING_CODE))
        fee_account = None
        if any(r['fee'] for r in matched):
            fee_account = accounting.fee_account(company)
            if not fee_account:
                raise SettlementError(gettext(
                        'partak_payment.msg_settlement_no_fee_account'))
        # What the bank paid into the account: the amounts less the fees.
        total = sum(r['amount'] - r['fee'] for r in rows)
        last = journal.last_amount or 0
        # Every row is an origin of the statement (Tryton's place for
        # imported rows); a matched row also gets its lines, and the
        # accountant completes the rest.
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
                                    'amount': Decimal(r['amount'] - r['fee']),
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
        for row in matched:
            payment = matches[row['row']]
            origin = origins[row['reference']]
            # The row's lines share its number, date and party: Tryton
            # makes them one entry (Statement._group_key).
            values = {
                'statement': statement.id,
                'origin': origin.id,
                'number': row['reference'],
                'date': row['date'],
                'party': payment.party.id,
                'description': origin.description,
                }
            line_values.append(dict(values,
                    amount=Decimal(row['amount']), account=clearing.id))
            if row['fee']:
                line_values.append(dict(values,
                        amount=Decimal(-row['fee']),
                        account=fee_account.id))
        lines = {l.number: l for l in StatementLine.create(line_values)
            if l.account == clearing}
        cls.create([{
                    'company': company.id,
                    'statement': statement.id,
                    'statement_origin': origins[r['reference']].id,
                    'statement_line': (lines[r['reference']].id
                        if r['reference'] in lines else None),
                    'row': r['row'],
                    'date': r['date'],
                    'amount': r['amount'],
                    'fee': r['fee'],
                    'terminal': r['terminal'] or None,
                    'reference': r['reference'],
                    'card_mask': r['card_mask'] or None,
                    'description': r['description'] or None,
                    'payment': (matches[r['row']].id
                        if matches[r['row']] else None),
                    } for r in rows])
        for row in matched:
            payment = matches[row['row']]
            Event.log(payment, 'reconciled', amount=row['amount'],
                message=gettext('partak_payment.msg_event_reconciled',
                    statement=statement.rec_name, row=row['row']))
        return statement

    @classmethod
    def reconcile_clearing(cls, move_lines):
        """Reconciles the clearing line of each settled payment with the
        line of its settlement row in the statement's entry.  move_lines:
        the (move line, statement line) pairs of Statement.create_move."""
        by_line = {l.id: m for m, l in move_lines if l and m}
        if not by_line:
            return
        with without_check_access():
            settlements = cls.search([
                    ('statement_line', 'in', list(by_line)),
                    ('payment', '!=', None),
                    ])
            for settlement in settlements:
                line = accounting.clearing_line(settlement.payment)
                if line:
                    books.reconcile_lines(
                        [line, by_line[settlement.statement_line.id]])


class StatementLine(metaclass=PoolMeta):
    __name__ = 'account.statement.line'

    @classmethod
    def reconcile(cls, move_lines):
        """And the settlement's: a settled payment's debit on the clearing
        account with the row's credit (Settlement.reconcile_clearing)."""
        Settlement = Pool().get('partak.payment.settlement')
        super().reconcile(move_lines)
        Settlement.reconcile_clearing(move_lines)


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
        "mask, description, fee (Rial, optional); Jalali or Gregorian "
        "dates.")
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
