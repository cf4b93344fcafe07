# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The resellers' tree, the reseller of a user and of a subscriber, and the
``reseller`` key of the record rules' context (see __init__.py)."""
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, tree)
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import ResellerCycleError


class Reseller(DeactivableMixin, tree(separator=' / '), ModelSQL, ModelView):
    "A reseller, below the ISP or below another reseller."
    __name__ = 'partak.reseller'
    __string__ = "Reseller"

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True, strip=True,
        help="A short unique code of the reseller.")
    parent = fields.Many2One('partak.reseller', "Parent",
        ondelete='RESTRICT',
        help="The reseller above this one: its staff see this reseller's "
        "subscribers too.")
    childs = fields.One2Many('partak.reseller', 'parent', "Children",
        help="The resellers below this one.")
    users = fields.One2Many('res.user', 'reseller', "Users",
        add_remove=[],
        help="The back-office users who work for this reseller: they see "
        "only the subscribers of this reseller and of those below it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'partak_reseller.msg_reseller_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def check_recursion(cls, resellers, field_names=None):
        "Refuses a reseller below itself, with the names of both."
        if not field_names or 'parent' in field_names:
            for reseller in resellers:
                seen = set()
                walker = reseller.parent
                while walker and walker.id not in seen:
                    if walker.id == reseller.id:
                        # Not rec_name: it walks the parents, forever here
                        raise ResellerCycleError(gettext(
                                'partak_reseller.msg_reseller_cycle',
                                reseller=reseller.name,
                                parent=reseller.parent.name))
                    seen.add(walker.id)
                    walker = walker.parent
        super().check_recursion(resellers, field_names=field_names)

    @classmethod
    def copy(cls, resellers, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('code')
        default.setdefault('users')
        return super().copy(resellers, default=default)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    reseller = fields.Many2One('partak.reseller', "Reseller",
        ondelete='RESTRICT',
        help="The reseller this user works for: the user sees only the "
        "subscribers of this reseller and of those below it.")
    _get_reseller_cache = Cache('res_user.get_reseller', context=False)

    @classmethod
    def get_reseller(cls):
        "The id of the current user's reseller, or None."
        transaction = Transaction()
        user = transaction.user
        reseller = cls._get_reseller_cache.get(user, -1)
        if reseller != -1:
            return reseller
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.select(table.reseller,
                where=table.id == user))
        row = cursor.fetchone()
        reseller = row[0] if row else None
        cls._get_reseller_cache.set(user, reseller)
        return reseller

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        pool = Pool()
        Rule = pool.get('ir.rule')
        super().on_modification(mode, users, field_names=field_names)
        if (mode != 'write' or field_names is None
                or 'reseller' in field_names):
            cls._get_reseller_cache.clear()
            Rule._domain_get_cache.clear()


class Rule(metaclass=PoolMeta):
    "Lets record rules name the current user's reseller."
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "reseller" as the id of the reseller of the current user '
            '(None without reseller and for Partak administrators)')

    @classmethod
    def _get_reseller(cls):
        "The reseller whose branch confines the current user, or None."
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        if not Transaction().user:
            return None
        reseller = User.get_reseller()
        if reseller is not None:
            admin = ModelData.get_id('partak_subscriber', 'group_partak_admin')
            if admin in User.get_groups():
                return None
        return reseller

    @classmethod
    def get(cls, model_name, mode='read'):
        """Drops the global rule groups that a test satisfies always (a
        domain ``[]``): the reseller's rules of a user without reseller, so
        that Tryton checks nothing more for that user than before."""
        clause, clause_global = super().get(model_name, mode=mode)
        for rule_group, domain in list(clause_global.items()):
            if any(d == [] for d in domain[1:]):
                del clause_global[rule_group]
        return clause, clause_global

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        context['reseller'] = cls._get_reseller()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        return super()._get_cache_key(model_names) + (cls._get_reseller(),)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    reseller = fields.Many2One('partak.reseller', "Reseller",
        ondelete='RESTRICT',
        help="The reseller this subscriber belongs to: its staff and the "
        "staff of the resellers above it see the subscriber.")

    @classmethod
    def default_reseller(cls):
        return Pool().get('res.user').get_reseller()
