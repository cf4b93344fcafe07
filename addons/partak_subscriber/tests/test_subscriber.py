# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Behaviour of the subscriber module: identity checks, set-once dates, line
status history, internet accounts, the document review with its deadline
and cut, and the agents' record rules."""
import datetime
import shutil
import tempfile
import unittest

from trytond import config
from trytond.i18n import gettext
from trytond.model.exceptions import (
    AccessError, SQLConstraintError, ValidationError)
from trytond.modules.partak_subscriber import validators
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

MODULE = 'partak_subscriber'


def national_code(first_nine):
    "Appends the check digit of the Iranian national code to nine digits."
    assert len(first_nine) == 9
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    check = total if total < 2 else 11 - total
    return first_nine + str(check)


def persian(value):
    return value.translate(str.maketrans('0123456789', '۰۱۲۳۴۵۶۷۸۹'))


class ValidatorsTestCase(unittest.TestCase):
    "Checks of Iranian identity and contact data"

    KNOWN_VALID = ['0499370899', '0084575948']

    def computed_valid(self):
        codes = [national_code(p) for p in [
                '123456789', '001234567', '987654321', '271828182',
                '314159265', '000000001', '555555554']]
        # Cover the three branches of the check digit: remainder 0, 1, >= 2
        for prefix in ('100000000', '010000000', '000000010'):
            codes.append(national_code(prefix))
        return codes

    def test_national_code_known_valid(self):
        for code in self.KNOWN_VALID:
            with self.subTest(code=code):
                self.assertTrue(validators.is_national_code(code))

    def test_national_code_computed_valid(self):
        codes = self.computed_valid()
        remainders = set()
        for code in codes:
            remainders.add(
                sum(int(d) * (10 - i) for i, d in enumerate(code[:9])) % 11)
            with self.subTest(code=code):
                self.assertTrue(validators.is_national_code(code))
        # remainder 0 and 1 keep the remainder as check digit, others 11 - r
        self.assertTrue({0, 1} <= remainders, remainders)
        self.assertTrue(remainders - {0, 1}, remainders)

    def test_national_code_invalid_checksum(self):
        for code in self.KNOWN_VALID + self.computed_valid():
            for digit in '0123456789':
                if digit == code[9]:
                    continue
                wrong = code[:9] + digit
                with self.subTest(code=wrong):
                    self.assertFalse(validators.is_national_code(wrong))

    def test_national_code_same_digits(self):
        for digit in '0123456789':
            code = digit * 10
            with self.subTest(code=code):
                self.assertFalse(validators.is_national_code(code))
        # 1111111111 passes the checksum: only the same-digit rule refuses it
        self.assertEqual(national_code('111111111'), '1111111111')

    def test_national_code_wrong_length_or_chars(self):
        for code in ['', None, '049937089', '04993708990', '499370899',
                '049937089a', '0499-370899', '049937 0899']:
            with self.subTest(code=code):
                self.assertFalse(validators.is_national_code(code))

    def test_national_code_persian_digits(self):
        self.assertEqual(persian('0499370899'), '۰۴۹۹۳۷۰۸۹۹')
        self.assertTrue(validators.is_national_code('۰۴۹۹۳۷۰۸۹۹'))
        # Arabic-Indic digits too
        self.assertTrue(validators.is_national_code('٠٤٩٩٣٧٠٨٩٩'))
        self.assertTrue(validators.is_national_code(' 0499370899 '))
        self.assertFalse(validators.is_national_code('۰۴۹۹۳۷۰۸۹۸'))

    def test_latin_digits(self):
        self.assertEqual(
            validators.latin_digits('۰۱۲۳۴۵۶۷۸۹'), '0123456789')
        self.assertEqual(
            validators.latin_digits('٠١٢٣٤٥٦٧٨٩'), '0123456789')
        self.assertEqual(validators.latin_digits(''), '')
        self.assertIsNone(validators.latin_digits(None))

    def test_unicode_digits_normalised(self):
        "Every Unicode decimal digit becomes ASCII before the checks"
        fullwidth = '\uff10\uff14\uff19\uff19\uff13\uff17\uff10\uff18\uff19\uff19'
        devanagari = '\u0966\u096a\u096f\u096f\u0969\u096d\u0966\u096e\u096f\u096f'
        for code in [fullwidth, devanagari, persian('0499370899')]:
            with self.subTest(code=code):
                self.assertEqual(validators.latin_digits(code), '0499370899')
                self.assertTrue(validators.is_national_code(code))
        self.assertTrue(validators.is_postal_code('\uff11' * 5 + '23456'))
        self.assertTrue(validators.is_mobile('\uff10\uff19121234567'))

    def test_non_decimal_digits_refused(self):
        "Superscript and circled digits are not digits of a number"
        superscript = '\u2070\u2074\u2079\u2079\u00b3\u2077\u2070\u2078\u2079\u2079'
        circled = '\u24ea\u2463\u2468\u2468\u2462\u2466\u24ea\u2467\u2468\u2468'
        for value in [superscript, circled, '049937089\u00b9']:
            with self.subTest(value=value):
                self.assertFalse(validators.is_national_code(value))
                self.assertFalse(validators.is_postal_code(value))
                self.assertFalse(validators.is_phone(value))
        self.assertFalse(validators.is_mobile('0912123456\u00b9'))

    def test_is_mobile(self):
        for value in ['09121234567', '09351234567', persian('09121234567'),
                ' 09121234567 ']:
            with self.subTest(value=value):
                self.assertTrue(validators.is_mobile(value))
        for value in ['9121234567', '0912123456', '091212345678',
                '08121234567', '+989121234567', '0912123456a', '', None]:
            with self.subTest(value=value):
                self.assertFalse(validators.is_mobile(value))

    def test_is_postal_code(self):
        for value in ['1234567890', persian('1234567890')]:
            with self.subTest(value=value):
                self.assertTrue(validators.is_postal_code(value))
        for value in ['123456789', '12345678901', '12345-67890', 'abcdefghij',
                '', None]:
            with self.subTest(value=value):
                self.assertFalse(validators.is_postal_code(value))

    def test_is_email(self):
        for value in ['ali@example.com', 'a.b+c@mail.example.ir']:
            with self.subTest(value=value):
                self.assertTrue(validators.is_email(value))
        for value in ['ali', 'ali@example', '@example.com', 'ali@.com x',
                'a li@example.com', 'ali@@example.com', '', None]:
            with self.subTest(value=value):
                self.assertFalse(validators.is_email(value))


class SubscriberTestCase(TestCase):
    "Subscriber models with a database"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(MODULE)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        # Documents are binary fields kept in the filestore: keep them in a
        # temporary directory instead of the user's ~/db.
        path = config.get('database', 'path')
        tmp = tempfile.mkdtemp()
        config.set('database', 'path', tmp)
        self.addCleanup(config.set, 'database', 'path', path)
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)

    # Helpers -------------------------------------------------------------

    def create_party(self, name='Subscriber', **values):
        Party = Pool().get('party.party')
        party, = Party.create([dict(name=name, **values)])
        return party

    def create_centre(self):
        pool = Pool()
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        city, = City.create([{'name': 'Sari'}])
        centre, = Centre.create([{'name': 'Centre 1', 'city': city.id}])
        return centre

    def create_line(self, party, phone, centre=None, **values):
        Line = Pool().get('partak.line')
        centre = centre or self.create_centre()
        line, = Line.create([dict(
                    phone=phone, subscriber=party.id,
                    city=centre.city.id, centre=centre.id, **values)])
        return line

    def history(self, line):
        History = Pool().get('partak.line.status.history')
        return History.search(
            [('line', '=', line.id)], order=[('id', 'ASC')])

    def create_document(self, party, **values):
        Document = Pool().get('partak.document')
        document, = Document.create([dict(
                    subscriber=party.id, type='national_card',
                    file=b'%PDF-1.4 test', filename='card.pdf', **values)])
        return document

    def create_agent(self, login):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        group_id = ModelData.get_id(MODULE, 'group_partak_agent')
        user, = User.create([{
                    'name': login.title(),
                    'login': login,
                    'groups': [('add', [group_id])],
                    }])
        return user

    # Party ---------------------------------------------------------------

    @with_transaction()
    def test_party_national_code_valid(self):
        "Valid national codes are stored, Persian digits as Latin digits"
        party = self.create_party(national_code='0499370899')
        self.assertEqual(party.national_code, '0499370899')

        party = self.create_party(national_code='۰۰۸۴۵۷۵۹۴۸')
        self.assertEqual(party.national_code, '0084575948')

        party = self.create_party(name='No code')
        self.assertFalse(party.national_code)

    @with_transaction()
    def test_party_national_code_fullwidth_stored_ascii(self):
        "A national code typed in fullwidth digits is stored in ASCII"
        party = self.create_party(national_code='\uff10\uff10\uff18\uff14'
            '\uff15\uff17\uff15\uff19\uff14\uff18')
        self.assertEqual(party.national_code, '0084575948')
        Party = Pool().get('party.party')
        with self.assertRaises(ValidationError):
            Party.write([party], {'national_code': '\u2070084575948'})

    @with_transaction()
    def test_party_national_code_invalid_create(self):
        "An invalid national code is refused on create"
        Party = Pool().get('party.party')
        for code in ['0499370898', '1111111111', '049937089', '04993708a9']:
            with self.subTest(code=code):
                with self.assertRaises(ValidationError) as cm:
                    Party.create([{'name': 'Bad', 'national_code': code}])
                self.assertIn(code, cm.exception.message)

    @with_transaction()
    def test_party_national_code_invalid_write(self):
        "An invalid national code is refused on write"
        Party = Pool().get('party.party')
        party = self.create_party(national_code='0499370899')

        with self.assertRaises(ValidationError):
            Party.write([party], {'national_code': '0499370898'})
        with self.assertRaises(ValidationError):
            Party.write([party], {'national_code': '1111111111'})

        Party.write([party], {'national_code': '0084575948'})
        self.assertEqual(Party(party.id).national_code, '0084575948')

    @with_transaction()
    def test_party_copy_clears_national_code(self):
        "A copied party does not carry the national code nor the lines"
        Party = Pool().get('party.party')
        party = self.create_party(national_code='0499370899')
        self.create_line(party, '01132455123')

        copy, = Party.copy([party])
        self.assertFalse(copy.national_code)
        self.assertEqual(copy.lines, ())

    def _test_set_once(self, field):
        Party = Pool().get('party.party')
        first = datetime.date(1990, 3, 21)
        other = datetime.date(1991, 3, 21)
        party = self.create_party()
        self.assertIsNone(getattr(party, field))
        self.assertFalse(getattr(Party(party.id), field + '_locked'))

        # Empty: can be set
        Party.write([party], {field: first})
        party = Party(party.id)
        self.assertEqual(getattr(party, field), first)
        self.assertTrue(getattr(party, field + '_locked'))

        # The same value: allowed, nothing changes
        Party.write([party], {field: first})
        self.assertEqual(getattr(Party(party.id), field), first)

        # Another value or clearing it: refused
        for value in [other, None]:
            with self.subTest(value=value):
                with self.assertRaises(ValidationError):
                    Party.write([Party(party.id)], {field: value})
        self.assertEqual(getattr(Party(party.id), field), first)

        # Set at creation: locked too
        party2 = self.create_party(name='Dated', **{field: first})
        with self.assertRaises(ValidationError):
            Party.write([party2], {field: other})

        # Writing other fields does not trip the check
        Party.write([party2], {'name': 'Renamed'})
        self.assertEqual(Party(party2.id).name, 'Renamed')

    @with_transaction()
    def test_party_birth_date_set_once(self):
        "The birth date is set once"
        self._test_set_once('birth_date')

    @with_transaction()
    def test_party_registration_date_set_once(self):
        "The company registration date is set once"
        self._test_set_once('registration_date')

    @with_transaction()
    def test_party_set_once_multiple_records(self):
        "Writing a date on several parties checks each of them"
        Party = Pool().get('party.party')
        date = datetime.date(1990, 3, 21)
        empty = self.create_party(name='Empty')
        dated = self.create_party(name='Dated', birth_date=date)

        with self.assertRaises(ValidationError):
            Party.write([empty, dated], {'birth_date': date.replace(day=22)})

        # With the same value both are fine
        Party.write([empty, dated], {'birth_date': date})
        self.assertEqual(Party(empty.id).birth_date, date)

    # Line ----------------------------------------------------------------

    @with_transaction()
    def test_line_create_history(self):
        "Creating a line writes one history row with its status"
        party = self.create_party()
        line = self.create_line(party, '01132455123')

        self.assertEqual(line.status, 'pending')
        row, = self.history(line)
        self.assertEqual(row.status, 'pending')
        self.assertFalse(row.note)
        self.assertEqual(row.user.id, Transaction().user)
        self.assertIsNotNone(row.date)

    @with_transaction()
    def test_line_create_many_history(self):
        "Each created line gets its own history row"
        Line = Pool().get('partak.line')
        party = self.create_party()
        centre = self.create_centre()
        lines = Line.create([{
                    'phone': phone, 'subscriber': party.id,
                    'city': centre.city.id, 'centre': centre.id,
                    } for phone in ['01132455123', '01132455124']])
        for line in lines:
            row, = self.history(line)
            self.assertEqual(row.line, line)

    @with_transaction()
    def test_line_status_history(self):
        "Every status change adds a history row, with the note of set_status"
        Line = Pool().get('partak.line')
        party = self.create_party()
        line = self.create_line(party, '01132455123')

        Line.set_status([line], 'in_service', note="Installed by Reza")
        rows = self.history(line)
        self.assertEqual(
            [(r.status, r.note) for r in rows],
            [('pending', None), ('in_service', "Installed by Reza")])
        self.assertEqual(Line(line.id).status, 'in_service')

        Line.write([line], {'status': 'collection'})
        rows = self.history(line)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[-1].status, 'collection')
        self.assertFalse(rows[-1].note)

        # set_status without a note: no note left from the previous call
        Line.set_status([line], 'suspended')
        rows = self.history(line)
        self.assertEqual(len(rows), 4)
        self.assertEqual(rows[-1].status, 'suspended')
        self.assertFalse(rows[-1].note)

        # The buttons go through set_status
        Line.collected([line])
        rows = self.history(line)
        self.assertEqual([r.status for r in rows],
            ['pending', 'in_service', 'collection', 'suspended', 'collected'])

        # The One2Many shows the newest first
        self.assertEqual(
            [h.status for h in Line(line.id).history][0], 'collected')

    @with_transaction()
    def test_line_same_status_no_history(self):
        "Writing the same status adds no history row"
        Line = Pool().get('partak.line')
        party = self.create_party()
        line = self.create_line(party, '01132455123')
        other = self.create_line(party, '01132455124')
        Line.set_status([line], 'in_service')
        self.assertEqual(len(self.history(line)), 2)

        Line.write([line], {'status': 'in_service'})
        Line.set_status([line], 'in_service', note="again")
        self.assertEqual(len(self.history(line)), 2)

        # Only the lines whose status changes get a row
        Line.set_status([line, other], 'in_service')
        self.assertEqual(len(self.history(line)), 2)
        self.assertEqual(
            [r.status for r in self.history(other)],
            ['pending', 'in_service'])

        # Writing other fields adds nothing
        Line.write([line], {'phone': '01132455125'})
        self.assertEqual(len(self.history(line)), 2)

    @with_transaction()
    def test_history_readonly_external(self):
        "History rows can not be rewritten or deleted from outside"
        pool = Pool()
        History = pool.get('partak.line.status.history')
        Group = pool.get('res.group')
        User = pool.get('res.user')
        ModelAccess = pool.get('ir.model.access')
        transaction = Transaction()
        party = self.create_party()
        line = self.create_line(party, '01132455123')
        row, = self.history(line)

        # Nobody has write access on the history: give it to the admin in a
        # group of its own so that the call reaches check_modification.
        group, = Group.create([{'name': "History editors"}])
        ModelAccess.create([{
                    'model': 'partak.line.status.history',
                    'group': group.id,
                    'perm_read': True,
                    'perm_write': True,
                    'perm_create': True,
                    'perm_delete': True,
                    }])
        User.write([User(transaction.user)], {'groups': [('add', [group.id])]})

        with transaction.set_context(_check_access=True):
            with self.assertRaises(ValidationError) as cm:
                History.write([row], {'note': "rewritten"})
            self.assertEqual(cm.exception.message,
                gettext('partak_subscriber.msg_history_readonly'))
            with self.assertRaises(ValidationError):
                History.delete([row])
            # Adding rows is allowed
            History.create([{
                        'line': line.id, 'status': 'pending',
                        'note': "called the subscriber"}])
        self.assertEqual(len(self.history(line)), 2)
        self.assertFalse(History(row.id).note)

        # The module itself may still maintain it
        History.write([row], {'note': "internal"})
        self.assertEqual(History(row.id).note, "internal")

    @with_transaction()
    def test_history_no_write_access(self):
        "The admin group has no write access on history rows"
        History = Pool().get('partak.line.status.history')
        party = self.create_party()
        line = self.create_line(party, '01132455123')
        row, = self.history(line)
        with Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                History.write([row], {'note': "rewritten"})
            with self.assertRaises(AccessError):
                History.delete([row])
        self.assertEqual(len(self.history(line)), 1)

    @with_transaction()
    def test_line_delete(self):
        "A line that has been in service can not be deleted"
        pool = Pool()
        Line = pool.get('partak.line')
        History = pool.get('partak.line.status.history')
        party = self.create_party()
        centre = self.create_centre()
        pending = self.create_line(party, '01132455121', centre)
        cancelled = self.create_line(party, '01132455122', centre)
        Line.set_status([cancelled], 'cancelled')

        for i, status in enumerate(
                ['in_service', 'collection', 'suspended', 'collected']):
            with self.subTest(status=status):
                line = self.create_line(party, '0113245513%d' % i, centre)
                Line.set_status([line], status)
                with self.assertRaises(ValidationError) as cm:
                    Line.delete([line])
                self.assertIn(line.phone, cm.exception.message)
                self.assertTrue(Line.search([('id', '=', line.id)]))

        # Pending and cancelled lines go, with their history, even from the
        # client (the history cascade is not an external deletion).
        with Transaction().set_context(_check_access=True):
            Line.delete([pending, cancelled])
        self.assertFalse(Line.search(
                [('id', 'in', [pending.id, cancelled.id])]))
        self.assertFalse(History.search(
                [('line', 'in', [pending.id, cancelled.id])]))

    def test_line_phone_invalid(self):
        "Phone numbers have 8 to 11 digits"
        # A create that fails validation leaves its row in the transaction:
        # each attempt gets a transaction of its own.
        for phone in ['1234567', '011324551234', '0113245512a', '011-3245512',
                'phone', persian('1234567'), '0113245512\u00b2']:
            with self.subTest(phone=phone):
                self._check_phone_refused_on_create(phone)
        self._check_phone_refused_on_write()

    @with_transaction()
    def _check_phone_refused_on_create(self, phone):
        party = self.create_party()
        with self.assertRaises(ValidationError) as cm:
            self.create_line(party, phone)
        self.assertEqual(cm.exception.message, gettext(
                'partak_subscriber.msg_line_phone_invalid',
                phone=validators.latin_digits(phone)))

    @with_transaction()
    def _check_phone_refused_on_write(self):
        Line = Pool().get('partak.line')
        party = self.create_party()
        line = self.create_line(party, '12345678')
        with self.assertRaises(ValidationError):
            Line.write([line], {'phone': '1234567'})

    @with_transaction()
    def test_line_phone_valid(self):
        "Phone numbers of 8 to 11 digits, Persian digits stored as Latin"
        party = self.create_party()
        centre = self.create_centre()
        for phone in ['12345678', '1132455123', '01132455123']:
            with self.subTest(phone=phone):
                self.assertEqual(
                    self.create_line(party, phone, centre).phone, phone)
        line = self.create_line(party, persian('02188776655'), centre)
        self.assertEqual(line.phone, '02188776655')
        line = self.create_line(party, ' 02188776656 ', centre)
        self.assertEqual(line.phone, '02188776656')
        # Fullwidth digits (a phone keyboard in CJK mode) too.
        line = self.create_line(party, '\uff10\uff12\uff11\uff18\uff18'
            '\uff17\uff17\uff16\uff16\uff15\uff17', centre)
        self.assertEqual(line.phone, '02188776657')

    @with_transaction()
    def test_line_phone_unique(self):
        "Two lines can not have the same phone number"
        party = self.create_party()
        centre = self.create_centre()
        self.create_line(party, '01132455123', centre)
        # Last statement of the test: PostgreSQL aborts the transaction
        with self.assertRaises(SQLConstraintError) as cm:
            self.create_line(
                self.create_party(name="Other"), '01132455123', centre)
        self.assertEqual(cm.exception.message,
            gettext('partak_subscriber.msg_line_phone_unique'))

    @with_transaction()
    def test_line_internet_cut(self):
        "The line shows the cut of its subscriber"
        pool = Pool()
        Line = pool.get('partak.line')
        Party = pool.get('party.party')
        party = self.create_party()
        line = self.create_line(party, '01132455123')
        self.assertFalse(Line(line.id).internet_cut)
        Party.write([party], {'internet_cut': True})
        self.assertTrue(Line(line.id).internet_cut)

    # Internet account ----------------------------------------------------

    @with_transaction()
    def test_account_username_default(self):
        "The username defaults to the phone without its leading zero"
        Account = Pool().get('partak.internet.account')
        party = self.create_party()
        line = self.create_line(party, '01132455123')

        account, = Account.create([{'line': line.id}])
        self.assertEqual(account.username, '1132455123')
        self.assertTrue(account.password)
        self.assertEqual(account.subscriber, party)
        self.assertFalse(account.disabled)

        # An explicit username is kept
        account2, = Account.create([{'line': line.id, 'username': 'ali'}])
        self.assertEqual(account2.username, 'ali')

        # on_change_line proposes the same
        account3 = Account(line=line)
        account3.on_change_line()
        self.assertEqual(account3.username, '1132455123')

        self.assertEqual(
            Account.search([('subscriber', '=', party.id)], order=[]),
            [account, account2])

    @with_transaction()
    def test_account_username_unique(self):
        "Two accounts can not have the same username"
        Account = Pool().get('partak.internet.account')
        party = self.create_party()
        centre = self.create_centre()
        line1 = self.create_line(party, '01132455123', centre)
        line2 = self.create_line(party, '1132455123', centre)
        Account.create([{'line': line1.id}])
        # Last statement of the test: PostgreSQL aborts the transaction
        with self.assertRaises(SQLConstraintError) as cm:
            # defaults to the same username as line1's
            Account.create([{'line': line2.id}])
        self.assertEqual(cm.exception.message,
            gettext('partak_subscriber.msg_username_unique'))

    # Documents -----------------------------------------------------------

    @with_transaction()
    def test_document_reject_needs_reason(self):
        "A document is not rejected without a reason"
        Document = Pool().get('partak.document')
        party = self.create_party()
        document = self.create_document(party)
        self.assertEqual(document.state, 'submitted')

        with self.assertRaises(ValidationError):
            Document.reject([document])
        document = Document(document.id)
        self.assertEqual(document.state, 'submitted')
        self.assertIsNone(document.subscriber.document_deadline)

        Document.write([document], {'reject_reason': ''})
        with self.assertRaises(ValidationError):
            Document.reject([document])

    @with_transaction()
    def test_document_deadline_and_cut(self):
        "Rejection opens the deadline, the cron cuts, approval reconnects"
        pool = Pool()
        Document = pool.get('partak.document')
        Party = pool.get('party.party')
        party = self.create_party()
        centre = self.create_centre()
        line1 = self.create_line(party, '01132455123', centre)
        line2 = self.create_line(party, '01132455124', centre)
        other = self.create_party(name="Other")
        other_line = self.create_line(other, '01132455125', centre)

        # Rejection with a reason opens a 7-day deadline
        document = self.create_document(party, reject_reason="Blurred")
        before = datetime.datetime.now()
        Document.reject([document])
        after = datetime.datetime.now()

        document = Document(document.id)
        self.assertEqual(document.state, 'rejected')
        self.assertEqual(document.reviewer.id, Transaction().user)
        self.assertTrue(document.review_date)
        party = Party(party.id)
        deadline = party.document_deadline
        self.assertTrue(
            before + datetime.timedelta(days=7) - datetime.timedelta(seconds=1)
            <= deadline
            <= after + datetime.timedelta(days=7)
            + datetime.timedelta(seconds=1),
            deadline)
        self.assertFalse(party.internet_cut)
        opened = gettext(
            'partak_subscriber.msg_document_deadline_opened', days=7)
        for line in [line1, line2]:
            rows = self.history(line)
            self.assertEqual(len(rows), 2)
            self.assertEqual(rows[-1].note, opened)
            self.assertEqual(rows[-1].status, 'pending')
        self.assertEqual(len(self.history(other_line)), 1)
        self.assertIsNone(Party(other.id).document_deadline)

        # A second rejection does not move the deadline nor log again
        document2 = self.create_document(party, reject_reason="Expired")
        Document.reject([document2])
        self.assertEqual(Party(party.id).document_deadline, deadline)
        self.assertEqual(len(self.history(line1)), 2)

        # The cron does nothing before the deadline
        self.assertEqual(Party.cut_overdue_documents(), [])
        self.assertFalse(Party(party.id).internet_cut)
        self.assertEqual(len(self.history(line1)), 2)

        # After the deadline it cuts and logs once per line
        # (the database keeps DateTime to the second)
        past = (datetime.datetime.now() - datetime.timedelta(minutes=1)
            ).replace(microsecond=0)
        Party.write([party], {'document_deadline': past})
        cut = Party.cut_overdue_documents()
        self.assertEqual(cut, [party])
        party = Party(party.id)
        self.assertTrue(party.internet_cut)
        note_cut = gettext('partak_subscriber.msg_cut_documents')
        for line in [line1, line2]:
            rows = self.history(line)
            self.assertEqual(len(rows), 3)
            self.assertEqual(rows[-1].note, note_cut)
            self.assertEqual(rows[-1].status, 'pending')
        self.assertFalse(Party(other.id).internet_cut)
        self.assertEqual(len(self.history(other_line)), 1)

        # Running it again changes nothing
        self.assertEqual(Party.cut_overdue_documents(), [])
        self.assertTrue(Party(party.id).internet_cut)
        self.assertEqual(len(self.history(line1)), 3)
        self.assertEqual(len(self.history(line2)), 3)

        # A rejection while cut does not open a new deadline
        document3 = self.create_document(party, reject_reason="Wrong")
        Document.reject([document3])
        self.assertEqual(Party(party.id).document_deadline, past)
        self.assertEqual(len(self.history(line1)), 3)

        # Approving a new document reconnects and clears the deadline
        document4 = self.create_document(party)
        Document.approve([document4])
        document4 = Document(document4.id)
        self.assertEqual(document4.state, 'approved')
        self.assertEqual(document4.reviewer.id, Transaction().user)
        party = Party(party.id)
        self.assertFalse(party.internet_cut)
        self.assertIsNone(party.document_deadline)
        note_lifted = gettext('partak_subscriber.msg_cut_lifted')
        for line in [line1, line2]:
            rows = self.history(line)
            self.assertEqual(len(rows), 4)
            self.assertEqual(rows[-1].note, note_lifted)

        # and the cron leaves the subscriber alone
        self.assertEqual(Party.cut_overdue_documents(), [])
        self.assertFalse(Party(party.id).internet_cut)

    @with_transaction()
    def test_document_approve_clears_deadline_before_cut(self):
        "Approval before the deadline clears it without a history row"
        pool = Pool()
        Document = pool.get('partak.document')
        Party = pool.get('party.party')
        party = self.create_party()
        line = self.create_line(party, '01132455123')

        rejected = self.create_document(party, reject_reason="Blurred")
        Document.reject([rejected])
        self.assertTrue(Party(party.id).document_deadline)
        self.assertEqual(len(self.history(line)), 2)

        approved = self.create_document(party)
        Document.approve([approved])
        party = Party(party.id)
        self.assertIsNone(party.document_deadline)
        self.assertFalse(party.internet_cut)
        # nothing was cut, so nothing was reconnected
        self.assertEqual(len(self.history(line)), 2)

        # A further rejection opens a new deadline
        again = self.create_document(party, reject_reason="Expired")
        Document.reject([again])
        self.assertTrue(Party(party.id).document_deadline)

    @with_transaction()
    def test_document_approve_without_deadline(self):
        "Approving a document of a subscriber in order changes nothing"
        pool = Pool()
        Document = pool.get('partak.document')
        Party = pool.get('party.party')
        party = self.create_party()
        line = self.create_line(party, '01132455123')
        document = self.create_document(party)
        Document.approve([document])
        self.assertEqual(Document(document.id).state, 'approved')
        self.assertIsNone(Party(party.id).document_deadline)
        self.assertFalse(Party(party.id).internet_cut)
        self.assertEqual(len(self.history(line)), 1)

    @with_transaction()
    def test_document_workflow_transitions(self):
        "Only submitted documents are reviewed"
        Document = Pool().get('partak.document')
        party = self.create_party()
        document = self.create_document(party)
        Document.approve([document])
        # An approved document can not be rejected
        Document.write([document], {'reject_reason': "late"})
        Document.reject([document])
        self.assertEqual(Document(document.id).state, 'approved')
        self.assertIsNone(Document(document.id).subscriber.document_deadline)

    @with_transaction()
    def test_document_manual_cut_and_lift(self):
        "The buttons cut and reconnect with a history row each"
        Party = Pool().get('party.party')
        party = self.create_party()
        line = self.create_line(party, '01132455123')

        Party.cut_internet_for_documents([party])
        self.assertTrue(Party(party.id).internet_cut)
        self.assertEqual(len(self.history(line)), 2)
        # Cutting again: no second row
        Party.cut_internet_for_documents([Party(party.id)])
        self.assertEqual(len(self.history(line)), 2)

        Party.lift_document_cut([Party(party.id)], note="Manager's call")
        self.assertFalse(Party(party.id).internet_cut)
        rows = self.history(line)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[-1].note, "Manager's call")
        # Lifting again: no row
        Party.lift_document_cut([Party(party.id)])
        self.assertEqual(len(self.history(line)), 3)

    @with_transaction()
    def test_document_delete(self):
        "An approved document can not be deleted, others can"
        Document = Pool().get('partak.document')
        party = self.create_party()
        approved = self.create_document(party)
        Document.approve([approved])
        rejected = self.create_document(party, reject_reason="Blurred")
        Document.reject([rejected])
        submitted = self.create_document(party)

        with self.assertRaises(ValidationError):
            Document.delete([approved])
        with self.assertRaises(ValidationError):
            Document.delete([submitted, approved])
        self.assertEqual(
            len(Document.search([('subscriber', '=', party.id)])), 3)

        Document.delete([submitted, rejected])
        self.assertEqual(
            Document.search([('subscriber', '=', party.id)]), [approved])

    # Agents --------------------------------------------------------------

    @with_transaction()
    def test_agent_rule(self):
        "Agents see only their own subscribers, lines and accounts"
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        Document = pool.get('partak.document')
        transaction = Transaction()

        user1 = self.create_agent('agent1')
        user2 = self.create_agent('agent2')
        centre = self.create_centre()
        party1 = self.create_party(name="Sub of 1", agent=user1.id)
        party2 = self.create_party(name="Sub of 2", agent=user2.id)
        party0 = self.create_party(name="Walk-in")
        line1 = self.create_line(party1, '01132455121', centre)
        line2 = self.create_line(party2, '01132455122', centre)
        line0 = self.create_line(party0, '01132455120', centre)
        account1, account2 = Account.create([
                {'line': line1.id}, {'line': line2.id}])
        document1 = self.create_document(party1)
        document2 = self.create_document(party2)

        # The admin sees everything
        with transaction.set_context(_check_access=True):
            self.assertTrue({party0, party1, party2} <= set(Party.search([])))
            self.assertTrue({line0, line1, line2} <= set(Line.search([])))

        for user, party, line, account, document, others in [
                (user1, party1, line1, account1, document1,
                    (party2, line2, account2, document2)),
                (user2, party2, line2, account2, document2,
                    (party1, line1, account1, document1)),
                ]:
            with self.subTest(user=user.login), \
                    transaction.set_user(user.id), \
                    transaction.set_context(_check_access=True):
                self.assertEqual(Party.search([]), [party])
                self.assertEqual(Line.search([]), [line])
                self.assertEqual(Account.search([]), [account])
                self.assertEqual(Document.search([]), [document])
                self.assertEqual(
                    Party.search([('name', 'like', 'Sub of %')]), [party])
                self.assertEqual(
                    Party.search_count([('id', 'in', [party1.id, party2.id])]),
                    1)
                other_party, other_line, other_account, other_document = (
                    others)
                with self.assertRaises(AccessError):
                    Party.read([other_party.id], ['name'])
                with self.assertRaises(AccessError):
                    Line.read([other_line.id], ['phone'])
                with self.assertRaises(AccessError):
                    Account.read([other_account.id], ['username'])
                with self.assertRaises(AccessError):
                    Party.read([party0.id], ['name'])
                self.assertEqual(
                    Party.read([party.id], ['name'])[0]['name'], party.name)

        # Back to the admin: the rule of the last agent is not reused
        with transaction.set_context(_check_access=True):
            self.assertTrue({party0, party1, party2} <= set(Party.search([])))

    # Agents have no create access on the history table: the row is the
    # system's, written whoever registers the line.
    @with_transaction()
    def test_agent_creates_line(self):
        "An agent registers a line for their subscriber"
        pool = Pool()
        Line = pool.get('partak.line')
        transaction = Transaction()
        user1 = self.create_agent('agent1')
        centre = self.create_centre()
        party1 = self.create_party(name="Sub of 1", agent=user1.id)

        with transaction.set_user(user1.id), \
                transaction.set_context(_check_access=True):
            line, = Line.create([{
                        'phone': '01132455121',
                        'subscriber': party1.id,
                        'city': centre.city.id,
                        'centre': centre.id,
                        }])
            self.assertEqual(Line.search([]), [line])
        row, = self.history(line)
        self.assertEqual(row.user, user1)


    @with_transaction()
    def test_document_sms_at_rejection_and_cut(self):
        "The subscriber is told by SMS when a document is rejected and cut"
        pool = Pool()
        Document = pool.get('partak.document')
        Party = pool.get('party.party')
        SMS = pool.get('partak.sms')
        party = self.create_party(contact_mechanisms=[('create', [
                        {'type': 'mobile', 'value': '09121234567'}])])
        self.create_line(party, '01132455123')
        silent = self.create_party(name="No Mobile")
        self.create_line(silent, '01132455124')

        document = self.create_document(party, reject_reason="Blurred")
        Document.reject([document])
        Document.reject([self.create_document(silent, reject_reason="Old")])
        messages = SMS.search([])
        self.assertEqual([(m.party, m.mobile) for m in messages],
            [(party, '09121234567')])
        self.assertIn("Blurred", messages[0].text)
        self.assertEqual(messages[0].reason, gettext(
                'partak_subscriber.msg_sms_reason_document_rejected'))

        Party.write([party, silent], {'document_deadline':
                datetime.datetime.now() - datetime.timedelta(minutes=1)})
        Party.cut_overdue_documents()
        Party.cut_overdue_documents()
        cut = SMS.search([('reason', '=', gettext(
                        'partak_subscriber.msg_sms_reason_internet_cut'))])
        self.assertEqual([m.party for m in cut], [party])


del TestCase
