# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The back-office roles of docs/roles.md, tried as each role with the
checks an RPC call gets (context _check_access): the forbidden call is
refused and nothing changes; agents only ever see their own subscribers;
every menu a role sees opens (list and form) without an access error."""
import datetime
import re
from pathlib import Path

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

ROLES = ['admin', 'support', 'accountant', 'agent']
GROUPS = {
    'admin': 'group_partak_admin',
    'support': 'group_partak_support',
    'accountant': 'group_partak_accounting',
    'agent': 'group_partak_agent',
    }
PASSWORD = 'portal-secret-1'
ROLES_MD = Path(__file__).resolve().parents[3] / 'docs' / 'roles.md'
# The models whose rows belong to one subscriber: an agent finds only the
# rows of its own subscribers (docs/roles.md: "own").
CONFINED = [
    'party.party', 'party.address', 'party.contact_mechanism',
    'web.user', 'partak.line', 'partak.line.status.history',
    'partak.internet.account', 'partak.document', 'partak.sms',
    'partak.order', 'partak.service.period', 'partak.traffic.bucket',
    'partak.traffic.move', 'partak.wallet.move', 'account.invoice',
    'partak.payment', 'partak.payment.event', 'partak.radius.session',
    'partak.radius.reject', 'partak.radius.job', 'partak.helpdesk.ticket',
    'partak.helpdesk.message',
    ]

# docs/roles.md, "Menu -> groups"
MENUS_VISIBLE = {
    'admin': [
        'Subscribers / Configuration / Cities',
        'Subscribers / Configuration / Bank Gateways',
        'Subscribers / Payments / Payment Events',
        'Subscribers / SMS Providers',
        'Support / Configuration / Departments',
        'Parties / Parties',
        ],
    'support': [
        'Subscribers / Subscribers', 'Subscribers / Lines',
        'Subscribers / Documents to Review', 'Subscribers / SMS Log',
        'Subscribers / Announcements', 'Subscribers / Orders',
        'Subscribers / Payments', 'Subscribers / Reminders Sent',
        'Subscribers / Network (RADIUS) / Internet Sessions',
        'Subscribers / Network (RADIUS) / RADIUS Decisions',
        'Subscribers / Network (RADIUS) / Disconnect and CoA Requests',
        'Subscribers / Network (RADIUS) / Refused Logins',
        'Subscribers / Surveys',
        'Support / All Tickets', 'Support / My Tickets',
        'Support / Queues by Department',
        ],
    'accountant': [
        'Subscribers / Subscribers', 'Subscribers / Orders',
        'Subscribers / Wallet Moves', 'Subscribers / Payments',
        'Subscribers / Payments / Payment Events',
        'Subscribers / Payments / Bank Settlement Rows',
        'Subscribers / Payments / Import Bank Settlement',
        'Subscribers / Network (RADIUS) / Traffic Counters',
        'Subscribers / Service Catalogue / Service Plans',
        'Financial / Invoices / Customer Invoices',
        ],
    'agent': [
        'Subscribers / Subscribers', 'Subscribers / Lines',
        'Subscribers / Internet Accounts', 'Subscribers / All Documents',
        'Subscribers / SMS Log', 'Subscribers / Orders',
        'Subscribers / Payments',
        'Subscribers / Service Catalogue / Service Plans',
        'Subscribers / Network (RADIUS) / Internet Sessions',
        'Subscribers / Network (RADIUS) / Refused Logins',
        'Support / All Tickets',
        ],
    }
_CONFIGURATION = [
    'Subscribers / Configuration', 'Subscribers / Configuration / Cities',
    'Subscribers / Configuration / NAS (Network Access Servers)',
    'Subscribers / Configuration / Blocked Portal IP Addresses',
    'Subscribers / SMS Providers', 'Subscribers / SMS Templates',
    'Subscribers / Notification Settings', 'Support / Configuration',
    'Parties', 'Parties / Parties', 'Products', 'Products / Products',
    ]
MENUS_HIDDEN = {
    'support': _CONFIGURATION + [
        'Subscribers / Payments / Payment Events',
        'Subscribers / Payments / Import Bank Settlement',
        'Subscribers / Network (RADIUS) / Traffic Counters', 'Financial',
        ],
    'accountant': _CONFIGURATION + [
        'Subscribers / SMS Log', 'Subscribers / Documents to Review',
        'Subscribers / Announcements', 'Support',
        'Subscribers / Network (RADIUS) / Refused Logins',
        'Subscribers / Network (RADIUS) / RADIUS Decisions',
        'Subscribers / Reminders Sent',
        ],
    'agent': _CONFIGURATION + [
        'Subscribers / Documents to Review', 'Subscribers / Announcements',
        'Subscribers / Payments / Payment Events',
        'Subscribers / Payments / Bank Settlement Rows',
        'Subscribers / Payments / Import Bank Settlement',
        'Subscribers / Network (RADIUS) / RADIUS Decisions',
        'Subscribers / Network (RADIUS) / Disconnect and CoA Requests',
        'Subscribers / Network (RADIUS) / Traffic Counters',
        'Subscribers / Surveys', 'Subscribers / Reminders Sent',
        'Support / My Tickets', 'Support / Queues by Department',
        'Support / Line Faults for the Telecom Operator', 'Financial',
        ],
    }


def parse_roles_md():
    """The access table of docs/roles.md: {model: {role: 'RWCD'}}, for the
    rows whose cells are plain permissions (e.g. 'RWC-', 'R', '-')."""
    table = {}
    for row in ROLES_MD.read_text(encoding='utf-8').splitlines():
        cells = [c.strip() for c in row.strip().strip('|').split('|')]
        if len(cells) < 5 or not re.match(r'[a-z_]+\.[a-z_.-]+', cells[0]):
            continue
        perms = {}
        for role, cell in zip(ROLES, cells[1:5]):
            cell = cell.replace(' own', '')
            if not re.fullmatch(r'[RWCD-]{1,4}', cell):
                break
            perms[role] = cell
        else:
            for model in (m.strip() for m in cells[0].split(',')):
                if re.fullmatch(r'[a-z_.-]+', model):
                    table[model] = perms
    return table


class RolesTestCase(TestCase):
    "Back-office roles: access rights, field access and record rules"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('partak_portal')
        from trytond.modules.partak_services.setup import run_in_transaction
        cls.world = run_in_transaction(DB_NAME, cls.create_world, user=1)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    @classmethod
    def create_world(cls):
        """Three subscribers (agent 1's, agent 2's, a walk-in) with a line,
        an internet account, a portal account, a paid order, a payment,
        sessions, SMS, a document and a ticket each; one user per role."""
        pool = Pool()
        Currency = pool.get('currency.currency')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        WebUser = pool.get('web.user')
        Document = pool.get('partak.document')
        SMS = pool.get('partak.sms')
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        Payment = pool.get('partak.payment')
        Event = pool.get('partak.payment.event')
        Session = pool.get('partak.radius.session')
        Reject = pool.get('partak.radius.reject')
        Job = pool.get('partak.radius.job')
        Department = pool.get('partak.helpdesk.department')
        Service = pool.get('partak.helpdesk.service')
        Priority = pool.get('partak.helpdesk.priority')
        Ticket = pool.get('partak.helpdesk.ticket')
        Message = pool.get('partak.helpdesk.message')
        Template = pool.get('product.template')
        from trytond.modules.partak_payment.demo import load_payment
        from trytond.modules.partak_services.setup import (
            CATALOGUE, create_demo_catalogue, setup_accounting)

        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'ریال', 'digits': 0, 'rounding': 1}])
        company = create_company('Partak ISP', currency=irr)
        world = {'company': company.id}
        with set_company(company):
            setup_accounting(company)
            create_demo_catalogue(company)
            template, = Template.search(
                [('name', '=', dict(CATALOGUE)['standard_1m']['name'])])
            product = template.products[0]
            gateway = load_payment(company)

            users = {}
            for role in ROLES + ['agent2']:
                groups = [ModelData.get_id(
                        'partak_subscriber', GROUPS[role.rstrip('2')])]
                if role == 'accountant':
                    # as scripts/demo_data.py: Tryton's invoices too
                    groups.append(ModelData.get_id('account', 'group_account'))
                users[role], = User.create([{
                            'name': role, 'login': 'role-%s' % role,
                            'groups': [('add', groups)],
                            'companies': [('add', [company.id])],
                            'company': company.id}])
            world['users'] = {k: u.id for k, u in users.items()}

            city, = City.create([{'name': 'ساری'}])
            centre, = Centre.create([{'name': 'دانشگاه', 'city': city.id}])
            department, = Department.create([{'name': 'پشتیبانی فنی'}])
            service, = Service.create([{'name': 'adsl'}])
            priority, = Priority.create([
                    {'name': 'اولویت کم', 'response_hours': 72}])
            now = datetime.datetime.now()
            for i, (key, agent) in enumerate([('own', users['agent']),
                        ('foreign', users['agent2']), ('walkin', None)]):
                party, = Party.create([{
                            'name': 'Subscriber %s' % key,
                            'subscriber_kind': 'person',
                            'agent': agent.id if agent else None,
                            'addresses': [('create', [{'street': key}])],
                            'contact_mechanisms': [('create', [{
                                            'type': 'mobile',
                                            'value': '0911123456%d' % i}])],
                            }])
                line, = Line.create([{'phone': '0113245512%d' % i,
                            'subscriber': party.id, 'city': city.id,
                            'centre': centre.id, 'status': 'in_service'}])
                account, = Account.create([{'line': line.id}])
                web_user, = WebUser.create([{'party': party.id,
                            'email': '%s@example.com' % key,
                            'password_hash': WebUser.hash_password(PASSWORD)}])
                document, = Document.create([{'subscriber': party.id,
                            'type': 'national_card', 'file': b'%PDF-1.4',
                            'filename': 'card.pdf'}])
                sms, = SMS.create([{'party': party.id,
                            'mobile': '0911123456%d' % i, 'text': 'salam',
                            'state': 'sent'}])
                order = Order.quote(party, line, 'service', product,
                    channel='online')
                payment, = Payment.create([{'order': order.id,
                            'party': party.id, 'company': company.id,
                            'gateway': gateway.id, 'amount': order.payable,
                            'state': 'redirected', 'token': 'T-%s' % key}])
                Event.log(payment, 'refund', amount=1, message='test')
                Order.settle(order, order.payable, 'BANK-%s' % key)
                WalletMove.credit(party, 1000)
                session, = Session.create([{'unique_id': 'U-%s' % key,
                            'username': account.username, 'line': line.id,
                            'account': account.id, 'start_time': now,
                            'state': 'open'}])
                Reject.create([{'date': now, 'username': account.username,
                            'line': line.id, 'account': account.id,
                            'reason': 'wrong_password'}])
                Job.create([{'session': session.id, 'line': line.id,
                            'username': account.username,
                            'kind': 'disconnect', 'reason': 'wrong_password',
                            'state': 'pending'}])
                ticket, = Ticket.create([{'party': party.id,
                            'line': line.id, 'department': department.id,
                            'service': service.id, 'priority': priority.id,
                            'title': 'اینترنت قطع است'}])
                Message.create([{'ticket': ticket.id, 'author': 'staff',
                            'body': 'hello'}])
                world[key] = {'party': party.id, 'line': line.id,
                    'web_user': web_user.id, 'account': account.id}
        return world

    # Helpers -------------------------------------------------------------

    def as_role(self, role):
        "The transaction as `role`, with the checks of an RPC call."
        transaction = Transaction()
        user_id = self.world['users'][role]
        return _Role(transaction, user_id, self.world['company'])

    def assertRefused(self, call, *args, **kwargs):
        with self.assertRaises(AccessError):
            call(*args, **kwargs)

    def own(self, key, name):
        return self.world[key][name]

    # docs/roles.md, table by table ----------------------------------------

    @with_transaction()
    def test_access_matrix(self):
        "Every model of docs/roles.md has exactly the rights it lists"
        ModelAccess = Pool().get('ir.model.access')
        table = parse_roles_md()
        self.assertGreater(len(table), 40)
        modes = dict(zip('RWCD', ['read', 'write', 'create', 'delete']))
        for model, perms in table.items():
            for role, cell in perms.items():
                with self.subTest(model=model, role=role), \
                        self.as_role(role):
                    for letter, mode in modes.items():
                        self.assertEqual(
                            ModelAccess.check(model, mode,
                                raise_exception=False),
                            letter in cell, '%s %s' % (mode, cell))

    @with_transaction()
    def test_every_partak_model_documented(self):
        "docs/roles.md lists every stored model of the Partak modules"
        from trytond.model import ModelSQL
        pool = Pool()
        Model = pool.get('ir.model')
        documented = set(parse_roles_md())
        for model in Model.search([('module', 'like', 'partak_%')]):
            if not issubclass(pool.get(model.name), ModelSQL):
                continue  # wizard forms, the reminder jobs
            with self.subTest(model=model.name):
                self.assertIn(model.name, documented)

    # Portal accounts (issue 11, seen 2) -----------------------------------

    @with_transaction()
    def test_agent_cannot_change_portal_password(self):
        "An agent changes no portal password, even of its own subscriber"
        WebUser = Pool().get('web.user')
        for key in ['foreign', 'own']:
            web_user = WebUser(self.own(key, 'web_user'))
            before = web_user.password_hash
            with self.subTest(subscriber=key), self.as_role('agent'):
                self.assertRefused(WebUser.write, [web_user],
                    {'password': 'taken-over-1'})
                self.assertRefused(WebUser.write, [web_user],
                    {'email': 'attacker@example.com'})
            self.assertEqual(WebUser(web_user.id).password_hash, before)
            self.assertTrue(WebUser.check_password(PASSWORD, before)[0])

    @with_transaction()
    def test_support_accountant_cannot_change_portal_password(self):
        "Support and accounting change no portal password"
        WebUser = Pool().get('web.user')
        web_user = WebUser(self.own('walkin', 'web_user'))
        before = web_user.password_hash
        for role in ['support', 'accountant']:
            with self.subTest(role=role), self.as_role(role):
                self.assertRefused(WebUser.write, [web_user],
                    {'password': 'taken-over-1'})
                self.assertRefused(WebUser.create, [{
                            'party': self.own('walkin', 'party'),
                            'email': 'second@example.com'}])
                self.assertRefused(WebUser.delete, [web_user])
        self.assertEqual(WebUser(web_user.id).password_hash, before)

    @with_transaction()
    def test_admin_changes_portal_password(self):
        "An administrator sets a subscriber's portal password"
        WebUser = Pool().get('web.user')
        web_user = WebUser(self.own('foreign', 'web_user'))
        before = web_user.password_hash
        with self.as_role('admin'):
            WebUser.write([web_user], {'password': 'new-secret-22'})
        after = WebUser(web_user.id).password_hash
        self.assertNotEqual(after, before)
        self.assertTrue(WebUser.check_password('new-secret-22', after)[0])

    @with_transaction()
    def test_nobody_reads_password_hash(self):
        "No role reads nor writes web.user.password_hash"
        WebUser = Pool().get('web.user')
        web_user = WebUser(self.own('own', 'web_user'))
        before = web_user.password_hash
        for role in ROLES:
            with self.subTest(role=role), self.as_role(role):
                self.assertRefused(WebUser.read, [web_user.id],
                    ['password_hash'])
                self.assertRefused(WebUser.search_read,
                    [('id', '=', web_user.id)], fields_names=['password_hash'])
                self.assertRefused(WebUser.write, [web_user],
                    {'password_hash': 'x'})
                # The hash can not be probed by searching on it either
                self.assertRefused(WebUser.search,
                    [('password_hash', 'like', '$%')])
        self.assertEqual(WebUser(web_user.id).password_hash, before)

    @with_transaction()
    def test_staff_not_party_admin(self):
        "Partak roles are not in Party Administration (it writes web.user)"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        party_admin = ModelData.get_id('party', 'group_party_admin')
        for role in ['support', 'accountant', 'agent']:
            with self.subTest(role=role):
                user = User(self.world['users'][role])
                self.assertNotIn(party_admin, [g.id for g in user.groups])
        # and scripts/demo_data.py does not put them there
        demo = (ROLES_MD.parents[1] / 'scripts' / 'demo_data.py').read_text(
            encoding='utf-8')
        self.assertNotIn('group_party_admin', demo)

    # Agents: their own subscribers, everywhere (seen 4) -------------------

    @with_transaction()
    def test_agent_confined_everywhere(self):
        "An agent finds and reads only the rows of its own subscribers"
        pool = Pool()
        for name in CONFINED:
            Model = pool.get(name)
            with self.subTest(model=name):
                all_ids = {r.id for r in Model.search([])}
                own_ids = {r.id for r in Model.search(
                        self.own_domain(name, 'own'))}
                self.assertTrue(own_ids, 'no row of the own subscriber')
                self.assertGreater(all_ids, own_ids)
                with self.as_role('agent'):
                    found = Model.search([])
                    self.assertEqual({r.id for r in found}, own_ids)
                    self.assertEqual(Model.search_count([]), len(own_ids))
                    others = sorted(all_ids - own_ids)
                    self.assertRefused(Model.read, others[:1], ['id'])

    @with_transaction()
    def test_agent_radius_sessions_and_history(self):
        "Sessions and line history of other agents' subscribers are hidden"
        pool = Pool()
        Session = pool.get('partak.radius.session')
        History = pool.get('partak.line.status.history')
        own_line = self.own('own', 'line')
        self.assertEqual(len({s.line.id for s in Session.search([])}), 3)
        with self.as_role('agent'):
            self.assertEqual(
                {s['line'] for s in Session.search_read([], fields_names=[
                                'line'])}, {own_line})
            self.assertEqual(
                {h['line'] for h in History.search_read([], fields_names=[
                                'line'])}, {own_line})

    def own_domain(self, name, key):
        party = self.own(key, 'party')
        path = {
            'party.party': 'id',
            'partak.line': 'subscriber',
            'partak.internet.account': 'line.subscriber',
            'partak.document': 'subscriber',
            'partak.line.status.history': 'line.subscriber',
            'partak.service.period': 'line.subscriber',
            'partak.traffic.bucket': 'period.line.subscriber',
            'partak.traffic.move': 'bucket.period.line.subscriber',
            'partak.payment.event': 'payment.party',
            'partak.radius.session': 'line.subscriber',
            'partak.radius.reject': 'line.subscriber',
            'partak.radius.job': 'line.subscriber',
            'partak.helpdesk.message': 'ticket.party',
            }.get(name, 'party')
        return [(path, '=', party)]

    @with_transaction()
    def test_agent_cannot_write_foreign(self):
        "An agent writes nothing of another agent's subscriber"
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        party = Party(self.own('foreign', 'party'))
        account = Account(self.own('foreign', 'account'))
        with self.as_role('agent'):
            self.assertRefused(Party.write, [party], {'name': 'taken'})
            self.assertRefused(Account.write, [account],
                {'password': 'Ab12345678'})
            self.assertRefused(Line.create, [{'phone': '01132455199',
                        'subscriber': party.id,
                        'city': Line(self.own('foreign', 'line')).city.id,
                        'centre': Line(self.own('foreign', 'line')).centre.id}])
            # nor moves its own subscriber to itself from another agent
            self.assertRefused(Party.write,
                [Party(self.own('own', 'party'))],
                {'agent': self.world['users']['agent2']})
        self.assertEqual(Party(party.id).name, 'Subscriber foreign')

    # Staff work without Party Administration --------------------------------

    @with_transaction()
    def test_support_and_agent_register_subscribers(self):
        "Support and agents create and edit subscribers with their contacts"
        Party = Pool().get('party.party')
        for role in ['support', 'agent']:
            with self.subTest(role=role), self.as_role(role):
                values = {'name': 'New %s' % role,
                    'subscriber_kind': 'person',
                    'addresses': [('create', [{'street': 'x'}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile', 'value': '09121234567'}])]}
                party, = Party.create([values])
                Party.write([party], {'name': 'Renamed %s' % role,
                        'contact_mechanisms': [('create', [{
                                        'type': 'email',
                                        'value': 'a@example.com'}])]})
                self.assertRefused(Party.delete, [party])
                # An agent's subscriber is its own, and stays visible to it
                self.assertEqual(Party(party.id).agent and
                    Party(party.id).agent.id,
                    self.world['users']['agent'] if role == 'agent'
                    else None)

    # Accounting reads money, not identity -----------------------------------

    @with_transaction()
    def test_accountant_cannot_edit_subscribers(self):
        "The accountant edits no subscriber, line nor internet account"
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        party = Party(self.own('own', 'party'))
        with self.as_role('accountant'):
            Party.read([party.id], ['name', 'national_code'])
            self.assertRefused(Party.write, [party], {'name': 'changed'})
            self.assertRefused(Party.create, [{'name': 'x',
                        'subscriber_kind': 'person'}])
            self.assertRefused(Party.write, [party], {'addresses': [
                        ('create', [{'street': 'y'}])]})
            self.assertRefused(Line.write, [Line(self.own('own', 'line'))],
                {'status': 'collected'})
            self.assertRefused(Account.read, [self.own('own', 'account')],
                ['password'])
        self.assertEqual(Party(party.id).name, 'Subscriber own')

    # Configuration: read where forms need it, written by admin only ------

    @with_transaction()
    def test_configuration_admin_only(self):
        "Cities, centres, gateways, NAS, helpdesk lists: only admin writes"
        pool = Pool()
        models = ['partak.city', 'partak.telecom_centre',
            'partak.payment.gateway', 'partak.helpdesk.department',
            'partak.helpdesk.service', 'partak.helpdesk.priority',
            'partak.notify.template', 'product.template']
        for name in models:
            Model = pool.get(name)
            record = Model.search([], limit=1)[0]
            for role in ['support', 'accountant', 'agent']:
                with self.subTest(model=name, role=role), \
                        self.as_role(role):
                    Model.read([record.id], ['rec_name'])
                    self.assertRefused(Model.write, [record],
                        {'rec_name' in Model._fields
                            and 'name' or 'name': 'changed'})
                    self.assertRefused(Model.delete, [record])

    @with_transaction()
    def test_gateway_credentials_admin_only(self):
        "Only the administrator reads a bank gateway's credentials"
        Gateway = Pool().get('partak.payment.gateway')
        gateway, = Gateway.search([], limit=1)
        for role in ['support', 'accountant', 'agent']:
            with self.subTest(role=role), self.as_role(role):
                self.assertRefused(Gateway.read, [gateway.id], ['password'])
                self.assertRefused(Gateway.read, [gateway.id],
                    ['secret_key'])

    # Menus: what a role sees opens (Build 1, helper "sao") ----------------

    @with_transaction()
    def test_menu_groups(self):
        "Each role sees the menus of docs/roles.md, and not the others"
        Menu = Pool().get('ir.ui.menu')
        for role in ROLES:
            with self.subTest(role=role), self.as_role(role):
                names = {m.complete_name for m in Menu.search([])}
                for name in MENUS_VISIBLE.get(role, []):
                    self.assertIn(name, names)
                for name in MENUS_HIDDEN.get(role, []):
                    self.assertNotIn(name, names)

    @with_transaction()
    def test_every_visible_menu_opens(self):
        """Each menu entry a role sees lists its rows and opens the first
        one's form with the fields of the views, as sao reads them."""
        pool = Pool()
        Menu = pool.get('ir.ui.menu')
        for role in ROLES:
            with self.as_role(role):
                menus = Menu.search([])
                for menu in menus:
                    action = menu.action
                    if not action or action.type != 'ir.action.act_window':
                        continue
                    with self.subTest(role=role, menu=menu.complete_name):
                        self.open_action(action)

    def open_action(self, action):
        "The calls of sao opening an act_window: views, list, first form."
        pool = Pool()
        Action = pool.get('ir.action.act_window')
        action = Action(action.id)
        Model = pool.get(action.res_model)
        views = {v.view.type: Model.fields_view_get(v.view.id, v.view.type)
            for v in action.act_window_views}
        for view_type in ['tree', 'form']:
            if view_type not in views:
                views[view_type] = Model.fields_view_get(view_type=view_type)
        ids = [r.id for r in Model.search([], limit=1)]
        if ids:
            for view_type in ['tree', 'form']:
                self.read_view(Model, ids, views[view_type]['fields'])

    def read_view(self, Model, ids, fields):
        pool = Pool()
        names = []
        for name, field in fields.items():
            names.append(name)
            if field['type'] in {'many2one', 'reference'}:
                names.append(name + '.rec_name')
        rows = Model.read(ids, names)
        for name, field in fields.items():
            if field['type'] in {'one2many', 'many2many'}:
                Target = pool.get(field['relation'])
                target_ids = sum((list(r[name] or []) for r in rows), [])[:5]
                if target_ids:
                    view = Target.fields_view_get(view_type='tree')
                    Target.read(target_ids, list(view['fields']))


class _Role:
    "Context manager: the user of a role with the RPC access checks."

    def __init__(self, transaction, user_id, company_id):
        self.transaction = transaction
        self.user_id = user_id
        self.company_id = company_id
        self.stack = []

    def __enter__(self):
        user = self.transaction.set_user(self.user_id)
        context = self.transaction.set_context(
            _check_access=True, company=self.company_id,
            companies=[self.company_id])
        self.stack = [user, context]
        for manager in self.stack:
            manager.__enter__()
        return self

    def __exit__(self, *exc):
        for manager in reversed(self.stack):
            manager.__exit__(*exc)
        return False


del TestCase
