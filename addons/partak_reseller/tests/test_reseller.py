# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The resellers' tree and the record rules that follow it: a tree
ISP → R1 → R1a and ISP → R2, a user of each, a subscriber of each; every
user reads exactly the subscribers of its branch, never a sibling's."""
import os
import re
import shutil
import tempfile
from contextlib import contextmanager

from trytond import config
from trytond.i18n import gettext
from trytond.model.exceptions import (
    AccessError, SQLConstraintError, ValidationError)
from trytond.modules.partak_reseller.exceptions import ResellerCycleError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    ModuleTestCase, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

MODULE = 'partak_reseller'
PERSIAN = re.compile('[\u0600-\u06FF]')


class PartakResellerTestCase(ModuleTestCase):
    "Test Partak Reseller module"
    module = MODULE


class ResellerTestCase(TestCase):
    "Resellers and their subscribers with a database"

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
        # Documents are kept in the filestore: a temporary directory
        path = config.get('database', 'path')
        tmp = tempfile.mkdtemp()
        config.set('database', 'path', tmp)
        self.addCleanup(config.set, 'database', 'path', path)
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)

    # Helpers -------------------------------------------------------------

    def group(self, name):
        return Pool().get('ir.model.data').get_id(
            'partak_subscriber', 'group_partak_%s' % name)

    def create_user(self, login, reseller=None, group='agent'):
        User = Pool().get('res.user')
        user, = User.create([{
                    'name': login.title(),
                    'login': login,
                    'reseller': reseller.id if reseller else None,
                    'groups': [('add', [self.group(group)])],
                    }])
        return user

    def create_tree(self, suffix=''):
        "ISP → R1 → R1a, ISP → R2"
        Reseller = Pool().get('partak.reseller')
        isp, = Reseller.create([{'name': 'ISP', 'code': 'ISP' + suffix}])
        r1, r2 = Reseller.create([
                {'name': 'R1', 'code': 'R1' + suffix, 'parent': isp.id},
                {'name': 'R2', 'code': 'R2' + suffix, 'parent': isp.id},
                ])
        r1a, = Reseller.create([
                {'name': 'R1a', 'code': 'R1A' + suffix, 'parent': r1.id}])
        return isp, r1, r1a, r2

    def create_subscriber(self, name, reseller=None, agent=None):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        Document = pool.get('partak.document')
        SMS = pool.get('partak.sms')
        party, = Party.create([{
                    'name': name,
                    'subscriber_kind': 'person',
                    'reseller': reseller.id if reseller else None,
                    'agent': agent.id if agent else None,
                    'addresses': [('create', [{'street': 'Street 1'}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile',
                                    'value': '09111234567'}])],
                    }])
        city = (City.search([], limit=1)
            or City.create([{'name': 'Sari'}]))[0]
        centre = (Centre.search([], limit=1)
            or Centre.create([{'name': 'Centre', 'city': city.id}]))[0]
        self.phone = getattr(self, 'phone', 1132455100) + 1
        line, = Line.create([{
                    'phone': '0%s' % self.phone,
                    'subscriber': party.id,
                    'city': city.id,
                    'centre': centre.id,
                    }])
        account, = Account.create([{'line': line.id}])
        Document.create([{
                    'subscriber': party.id, 'type': 'national_card',
                    'file': b'%PDF-1.4 test', 'filename': 'card.pdf'}])
        SMS.queue(party, 'Hello %s' % name, reason='Test')
        return party

    def fixture(self):
        isp, r1, r1a, r2 = self.create_tree()
        users = {
            'isp': self.create_user('isp_agent', isp),
            'r1': self.create_user('r1_agent', r1),
            'r1a': self.create_user('r1a_agent', r1a),
            'r2': self.create_user('r2_agent', r2),
            }
        parties = {
            'isp': self.create_subscriber('Sub ISP', isp),
            'r1': self.create_subscriber('Sub R1', r1),
            'r1a': self.create_subscriber('Sub R1a', r1a),
            'r2': self.create_subscriber('Sub R2', r2),
            }
        resellers = {'isp': isp, 'r1': r1, 'r1a': r1a, 'r2': r2}
        return resellers, users, parties

    @contextmanager
    def as_user(self, user):
        "Runs as the user, with the access checks sao and RPC get."
        transaction = Transaction()
        with transaction.set_user(user.id), \
                transaction.set_context(_check_access=True):
            yield

    # Tree ----------------------------------------------------------------

    @with_transaction()
    def test_tree(self):
        "The tree's names, children and the unique code"
        Reseller = Pool().get('partak.reseller')
        isp, r1, r1a, r2 = self.create_tree()
        self.assertEqual(r1a.rec_name, 'ISP / R1 / R1a')
        self.assertEqual(set(isp.childs), {r1, r2})
        self.assertEqual(
            set(Reseller.search([('parent', 'child_of', [r1.id])])),
            {r1, r1a})
        with self.assertRaises(SQLConstraintError) as cm:
            Reseller.create([{'name': 'Other', 'code': 'R1'}])
        self.assertEqual(cm.exception.message,
            gettext('partak_reseller.msg_reseller_code_unique'))

    @with_transaction()
    def test_cycle_refused(self):
        "A reseller can not be placed below itself or its own children"
        Reseller = Pool().get('partak.reseller')
        # (moved, new parent): below itself, its child, its grandchild
        cases = [('isp', 'r1a'), ('r1', 'r1a'), ('r1', 'r1'), ('isp', 'r2')]
        for i, (moved, parent) in enumerate(cases):
            # A fresh tree each time: the test's transaction is not rolled
            # back by the error as an RPC call's is
            tree = dict(zip(['isp', 'r1', 'r1a', 'r2'],
                    self.create_tree(suffix='-%s' % i)))
            reseller, parent = tree[moved], tree[parent]
            with self.subTest(reseller=reseller.name, parent=parent.name):
                with self.assertRaises(ResellerCycleError) as cm:
                    Reseller.write([reseller], {'parent': parent.id})
                self.assertIsInstance(cm.exception, ValidationError)
                self.assertEqual(cm.exception.message, gettext(
                        'partak_reseller.msg_reseller_cycle',
                        reseller=reseller.name, parent=parent.name))
                self.assertIn('"%s"' % reseller.name, cm.exception.message)
                self.assertIn('"%s"' % parent.name, cm.exception.message)
        # Nor at creation below a new child; a move that keeps a tree is
        # accepted
        isp, r1, r1a, r2 = self.create_tree()
        with self.assertRaises(ResellerCycleError):
            Reseller.create([{'name': 'R3', 'code': 'R3',
                        'childs': [('add', [isp.id])],
                        'parent': r1a.id}])
        isp, r1, r1a, r2 = self.create_tree(suffix='-ok')
        Reseller.write([r1a], {'parent': r2.id})
        self.assertEqual(Reseller(r1a.id).rec_name, 'ISP / R2 / R1a')
        self.assertEqual(
            set(Reseller.search([('parent', 'child_of', [r2.id])])),
            {r2, r1a})

    # Rules ---------------------------------------------------------------

    @with_transaction()
    def test_each_user_reads_its_branch(self):
        "Each user reads exactly the subscribers of its reseller's branch"
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        History = pool.get('partak.line.status.history')
        Account = pool.get('partak.internet.account')
        Document = pool.get('partak.document')
        SMS = pool.get('partak.sms')
        Address = pool.get('party.address')
        Contact = pool.get('party.contact_mechanism')
        resellers, users, parties = self.fixture()
        walk_in = self.create_subscriber('Walk-in')
        branches = {
            'isp': {'isp', 'r1', 'r1a', 'r2'},
            'r1': {'r1', 'r1a'},
            'r1a': {'r1a'},
            'r2': {'r2'},
            }
        for key, branch in branches.items():
            expected = {parties[k] for k in branch}
            with self.subTest(user=key), self.as_user(users[key]):
                self.assertEqual(set(Party.search([])), expected)
                self.assertEqual(
                    {l.subscriber for l in Line.search([])}, expected)
                self.assertEqual(
                    {h.line.subscriber for h in History.search([])},
                    expected)
                self.assertEqual(
                    {a.line.subscriber for a in Account.search([])},
                    expected)
                self.assertEqual(
                    {d.subscriber for d in Document.search([])}, expected)
                self.assertEqual({s.party for s in SMS.search([])}, expected)
                self.assertEqual(
                    {c.party for c in Contact.search([])}, expected)
                self.assertEqual(
                    {a.party for a in Address.search([])}, expected)
                self.assertEqual(Party.search_count([]), len(expected))
                others = set(parties.values()) - expected | {walk_in}
                for other in others:
                    with self.assertRaises(AccessError):
                        Party.read([other.id], ['name'])

        # Administrators and support without reseller see everyone
        admin = self.create_user('partak_admin', group='admin')
        support = self.create_user('support', group='support')
        everyone = set(parties.values()) | {walk_in}
        for user in [admin, support]:
            with self.subTest(user=user.login), self.as_user(user):
                self.assertTrue(everyone <= set(Party.search([])))

    @with_transaction()
    def test_r1a_cannot_touch_r1_or_r2(self):
        "R1a's user can neither read nor write R1's or R2's subscriber"
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        Document = pool.get('partak.document')
        resellers, users, parties = self.fixture()
        for key in ['r1', 'r2', 'isp']:
            other = parties[key]
            line, = other.lines
            account, = line.accounts
            document, = other.documents
            with self.subTest(subscriber=other.name), \
                    self.as_user(users['r1a']):
                with self.assertRaises(AccessError):
                    Party.read([other.id], ['name'])
                with self.assertRaises(AccessError):
                    Party.write([Party(other.id)], {'name': 'Taken'})
                with self.assertRaises(AccessError):
                    Line.read([line.id], ['phone'])
                with self.assertRaises(AccessError):
                    Line.write([Line(line.id)], {'phone': '01132400000'})
                with self.assertRaises(AccessError):
                    Account.read([account.id], ['username'])
                with self.assertRaises(AccessError):
                    Document.read([document.id], ['type'])
                self.assertEqual(
                    Party.search([('name', '=', other.name)]), [])
            # Nothing changed
            self.assertEqual(Party(other.id).name, other.name)
            self.assertEqual(Line(line.id).phone, line.phone)

        # Its own subscriber: read and written
        own = parties['r1a']
        with self.as_user(users['r1a']):
            Party.write([Party(own.id)], {'name': 'Sub R1a renamed'})
            self.assertEqual(
                Party.read([own.id], ['name'])[0]['name'], 'Sub R1a renamed')

    @with_transaction()
    def test_parent_writes_child_subscriber(self):
        "R1's user writes R1a's subscriber; R2's user does not"
        Party = Pool().get('party.party')
        resellers, users, parties = self.fixture()
        with self.as_user(users['r1']):
            Party.write([Party(parties['r1a'].id)], {'name': 'By R1'})
        with self.as_user(users['r2']):
            with self.assertRaises(AccessError):
                Party.write([Party(parties['r1a'].id)], {'name': 'By R2'})
        self.assertEqual(Party(parties['r1a'].id).name, 'By R1')

    @with_transaction()
    def test_default_reseller_and_field_access(self):
        """A new subscriber belongs to the user's reseller; only
        administrators move it, nobody creates it outside the branch"""
        Party = Pool().get('party.party')
        resellers, users, parties = self.fixture()
        with self.as_user(users['r1a']):
            party, = Party.create([{'name': 'New of R1a',
                        'subscriber_kind': 'person'}])
            self.assertEqual(party.reseller, resellers['r1a'])
            self.assertEqual(party.agent, users['r1a'])
            # The field is not writable by agents
            with self.assertRaises(AccessError):
                Party.write([party], {'reseller': resellers['r1'].id})
            # Not created in a sibling's or a parent's branch
            for key in ['r2', 'r1']:
                with self.assertRaises(AccessError):
                    Party.create([{'name': 'Elsewhere',
                                'reseller': resellers[key].id}])
        self.assertEqual(Party(party.id).reseller, resellers['r1a'])
        self.assertEqual(Party.search([('name', '=', 'Elsewhere')]), [])

        admin = self.create_user('partak_admin', group='admin')
        with self.as_user(admin):
            Party.write([Party(party.id)], {'reseller': resellers['r2'].id})
        self.assertEqual(Party(party.id).reseller, resellers['r2'])
        with self.as_user(users['r1a']):
            # Even the agent who registered it no longer sees it
            self.assertNotIn(party, Party.search([]))
            with self.assertRaises(AccessError):
                Party.read([party.id], ['name'])
        with self.as_user(users['r2']):
            self.assertIn(party, Party.search([]))

    @with_transaction()
    def test_agent_without_reseller(self):
        "An agent without reseller keeps its own subscribers only"
        Party = Pool().get('party.party')
        resellers, users, parties = self.fixture()
        lone = self.create_user('lone_agent')
        own = self.create_subscriber('Own of lone', agent=lone)
        other = self.create_subscriber('Other of R1', resellers['r1'],
            agent=lone)
        with self.as_user(lone):
            self.assertEqual(set(Party.search([])), {own, other})
            with self.assertRaises(AccessError):
                Party.read([parties['r1'].id], ['name'])
            party, = Party.create([{'name': 'New of lone'}])
            self.assertIsNone(party.reseller)
            self.assertEqual(party.agent, lone)

        # Once given a reseller, the same agent sees that branch only
        User = Pool().get('res.user')
        User.write([lone], {'reseller': resellers['r2'].id})
        with self.as_user(lone):
            self.assertEqual(set(Party.search([])), {parties['r2']})

    @with_transaction()
    def test_no_reseller_no_rule(self):
        """Users without reseller and administrators get no rule of this
        module; an agent of a reseller registers a line (with its history)"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        resellers, users, parties = self.fixture()
        support = self.create_user('support', group='support')
        admin = self.create_user('r1_admin', resellers['r1'], group='admin')
        for user in [support, admin]:
            with self.subTest(user=user.login), self.as_user(user):
                for model in ['party.party', 'partak.line', 'partak.sms']:
                    self.assertFalse(Rule.domain_get(model))
                self.assertTrue(
                    set(parties.values()) <= set(Party.search([])))
        own = parties['r1a']
        centre = own.lines[0].centre
        with self.as_user(users['r1a']):
            line, = Line.create([{
                        'phone': '01132400001',
                        'subscriber': own.id,
                        'city': centre.city.id,
                        'centre': centre.id,
                        }])
            self.assertEqual(len(Line(line.id).history), 1)
            with self.assertRaises(AccessError):
                Line.create([{
                            'phone': '01132400002',
                            'subscriber': parties['r2'].id,
                            'city': centre.city.id,
                            'centre': centre.id,
                            }])

    @with_transaction()
    def test_support_of_reseller_confined(self):
        "A support user of a reseller is confined to its branch too"
        Party = Pool().get('party.party')
        resellers, users, parties = self.fixture()
        support = self.create_user('r2_support', resellers['r2'], 'support')
        with self.as_user(support):
            self.assertEqual(set(Party.search([])), {parties['r2']})
            with self.assertRaises(AccessError):
                Party.write([Party(parties['r1'].id)], {'name': 'X'})

    # Persian -------------------------------------------------------------

    @with_transaction()
    def test_persian_labels(self):
        "The fa labels load and every label of the module is Persian"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Reseller = pool.get('partak.reseller')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        Model = pool.get('ir.model')
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        fa, = Lang.search([('code', '=', 'fa')])
        Lang.write([fa], {'translatable': True})
        Lang.load_translations([fa])
        with Transaction().set_context(language='fa'):
            model, = Model.search([('name', '=', 'partak.reseller')])
            self.assertEqual(model.string, 'نماینده فروش')
            names = ['name', 'code', 'parent', 'childs', 'users', 'active']
            for name, field in Reseller.fields_get(names).items():
                with self.subTest(field=name):
                    self.assertRegex(field['string'], PERSIAN)
                    if field.get('help'):
                        self.assertRegex(field['help'], PERSIAN)
            for Model_ in [Party, User]:
                field = Model_.fields_get(['reseller'])['reseller']
                self.assertEqual(field['string'], 'نماینده فروش')
                self.assertRegex(field['help'], PERSIAN)
            for id_ in ['menu_reseller_tree', 'menu_reseller_form']:
                menu = Menu(ModelData.get_id(MODULE, id_))
                self.assertRegex(menu.name, PERSIAN)
            for id_ in ['msg_reseller_code_unique', 'msg_reseller_cycle']:
                text = gettext('%s.%s' % (MODULE, id_),
                    reseller='R1', parent='R1a')
                self.assertRegex(text, PERSIAN)

        # The refusal names the rule in Persian; the subscriber's form of a
        # reseller's agent shows the field
        resellers, users, parties = self.fixture()
        with self.as_user(users['r1a']), \
                Transaction().set_context(language='fa'):
            with self.assertRaises(AccessError) as cm:
                Party.read([parties['r2'].id], ['name'])
            self.assertIn(
                'مشترکین نماینده فروشِ کاربر و نمایندگان زیرمجموعه آن',
                cm.exception.message)
            view = Party.fields_view_get(view_type='form')
            self.assertIn('reseller', view['fields'])
            self.assertEqual(
                view['fields']['reseller']['string'], 'نماینده فروش')

    def test_po_complete(self):
        "Every entry of fa.po is translated, with the same placeholders"
        import polib
        folder = os.path.dirname(os.path.dirname(__file__))
        po = polib.pofile(os.path.join(folder, 'locale', 'fa.po'))
        entries = {e.msgctxt for e in po}
        with open(os.path.join(folder, 'message.xml')) as xml:
            ids = re.findall(r'id="(msg_[a-z_]+)"', xml.read())
        with open(os.path.join(folder, 'reseller.xml')) as xml:
            groups = re.findall(r'id="(rule_group_[a-z_]+)">', xml.read())
        for id_ in ids:
            self.assertIn('model:ir.message,text:%s' % id_, entries)
        for id_ in groups:
            self.assertIn('model:ir.rule.group,name:%s' % id_, entries)
        placeholders = re.compile(r'%\((\w+)\)s')
        for entry in po:
            self.assertTrue(entry.msgstr, entry.msgctxt)
            self.assertRegex(entry.msgstr, PERSIAN)
            self.assertEqual(sorted(placeholders.findall(entry.msgid)),
                sorted(placeholders.findall(entry.msgstr)), entry.msgctxt)


del ModuleTestCase, TestCase
