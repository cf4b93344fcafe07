# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The survey pages of the portal through HTTP (SPEC §3.10): which surveys a
subscriber sees, answering once, and the form shown again on errors."""
import datetime
import html

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from . import tools
from .tools import PASSWORD



class SurveyPagesTestCase(tools.PortalRouteTestCase):
    "Survey pages of the customer portal"

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        WebUser = pool.get('web.user')
        sari, babol = City.create([{'name': 'ساری'}, {'name': 'بابل'}])
        centre, = Centre.create([{'name': 'دانشگاه', 'city': sari.id}])
        Centre.create([{'name': 'مرکزی', 'city': babol.id}])
        kamal, other = Party.create([
                {'name': 'کمال نصیری', 'subscriber_kind': 'person'},
                {'name': 'Other Subscriber', 'subscriber_kind': 'person'}])
        Line.create([
                {'phone': '01132455123', 'subscriber': kamal.id,
                    'city': sari.id, 'centre': centre.id,
                    'status': 'in_service'},
                {'phone': '32239700', 'subscriber': other.id,
                    'city': sari.id, 'centre': centre.id,
                    'status': 'in_service'}])
        WebUser.create([
                {'party': p.id,
                    'password_hash': WebUser.hash_password(PASSWORD)}
                for p in (kamal, other)])

    # -- helpers -----------------------------------------------------------

    def make_survey(self, title, publish=True, close=False, **values):
        """A committed survey with a rating, a choice and an optional text;
        returns the ids the form uses."""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Survey = pool.get('partak.survey')
            City = pool.get('partak.city')
            if values.get('city'):
                values['city'], = [c.id for c in City.search(
                        [('name', '=', values['city'])])]
            survey, = Survey.create([dict({
                            'title': title,
                            'questions': [('create', [{
                                            'sequence': 1,
                                            'text': 'سرعت',
                                            'kind': 'rating',
                                            }, {
                                            'sequence': 2,
                                            'text': 'پشتیبانی',
                                            'kind': 'choice',
                                            'options': [('create', [
                                                        {'sequence': 1,
                                                            'name': 'خوب'},
                                                        {'sequence': 2,
                                                            'name': 'بد'},
                                                        ])],
                                            }, {
                                            'sequence': 3,
                                            'text': 'پیشنهاد',
                                            'kind': 'text',
                                            'required': False,
                                            }])],
                            }, **values)])
            if publish:
                Survey.publish([survey])
            if close:
                Survey.close([survey])
            rating, choice, text = survey.questions
            ids = {'id': survey.id, 'rating': rating.id,
                'choice': choice.id, 'text': text.id,
                'options': [o.id for o in choice.options]}
            transaction.commit()
        return ids

    def post(self, client, survey, rating='4', option=0, text='',
            token=None):
        data = {
            'q%d' % survey['rating']: rating,
            'q%d' % survey['choice']: (str(survey['options'][option])
                if option is not None else ''),
            'q%d' % survey['text']: text,
            }
        data['csrf_token'] = token or self.csrf(client, '/portal/survey')
        return client.post('/portal/survey/%d' % survey['id'], data=data)

    def responses(self, survey, login='1132455123'):
        "The saved answers of a subscriber: [(question id, value)]."
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Response = pool.get('partak.survey.response')
            Line = pool.get('partak.line')
            line, = Line.search([('phone', 'like', '%' + login)])
            result = []
            for response in Response.search([
                        ('survey', '=', survey['id']),
                        ('party', '=', line.subscriber.id)]):
                result.append(sorted(
                        (a.question.id, a.rating or (a.option and a.option.id)
                            or a.text) for a in response.answers))
            return result

    # -- tests -------------------------------------------------------------

    def test_pages_need_login(self):
        survey = self.make_survey('ورود لازم')
        client = self.client()
        for path in ('/portal/survey', '/portal/survey/%d' % survey['id']):
            response = client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertTrue(response.location.endswith('/portal/login'))

    def test_list_shows_only_open_targeted_surveys(self):
        now = datetime.datetime.now()
        day = datetime.timedelta(days=1)
        self.make_survey('باز برای همه')
        self.make_survey('باز برای ساری', city='ساری')
        self.make_survey('فقط بابل', city='بابل')
        self.make_survey('پیش‌نویس', publish=False)
        self.make_survey('بسته', close=True)
        self.make_survey('آینده', start=now + day)
        self.make_survey('گذشته', start=now - 2 * day, end=now - day)
        page = self.logged_in().get('/portal/survey').get_data(as_text=True)
        self.assertIn('باز برای همه', page)
        self.assertIn('باز برای ساری', page)
        for title in ('فقط بابل', 'پیش‌نویس', 'بسته', 'آینده', 'گذشته'):
            self.assertNotIn(title, page)

    def test_survey_not_open_is_404_and_saves_nothing(self):
        now = datetime.datetime.now()
        day = datetime.timedelta(days=1)
        closed = [
            self.make_survey('پیش‌نویس ۲', publish=False),
            self.make_survey('بسته ۲', close=True),
            self.make_survey('آینده ۲', start=now + day),
            self.make_survey('گذشته ۲', start=now - 2 * day, end=now - day),
            self.make_survey('فقط بابل ۲', city='بابل'),
            ]
        client = self.logged_in()
        for survey in closed:
            path = '/portal/survey/%d' % survey['id']
            self.assertEqual(client.get(path).status_code, 404, path)
            self.assertEqual(self.post(client, survey).status_code, 404)
            self.assertEqual(self.responses(survey), [])
        self.assertEqual(client.get('/portal/survey/999999').status_code, 404)

    def test_answer_once(self):
        survey = self.make_survey('کیفیت خدمات')
        client = self.logged_in()
        page = client.get('/portal/survey/%d' % survey['id']).get_data(
            as_text=True)
        self.assertIn('type="radio"', page)
        self.assertIn('<textarea', page)
        self.assertIn('dir="rtl"', page)

        response = self.post(client, survey, rating='5', option=1,
            text='  سرعت شبانه کم است  ')
        self.assertEqual(response.status_code, 302)
        self.assertIn('/portal/survey?thanks=%d' % survey['id'],
            response.location)
        first = [sorted([
                    (survey['rating'], 5),
                    (survey['choice'], survey['options'][1]),
                    (survey['text'], 'سرعت شبانه کم است')])]
        self.assertEqual(self.responses(survey), first)

        page = client.get(response.location).get_data(as_text=True)
        self.assertIn('از شما سپاسگزاریم', page)
        self.assertIn('پاسخ داده شده', page)

        # The second submission is refused and changes nothing.
        response = self.post(client, survey, rating='1', option=0,
            text='دیگر')
        self.assertEqual(response.status_code, 409)
        self.assertIn('قبلاً به این نظرسنجی پاسخ داده‌اید',
            response.get_data(as_text=True))
        self.assertEqual(self.responses(survey), first)

        # The form is no longer offered: the given answers are shown.
        page = client.get('/portal/survey/%d' % survey['id']).get_data(
            as_text=True)
        self.assertNotIn('type="radio"', page)
        self.assertIn('سرعت شبانه کم است', page)

        # Another subscriber still answers on their own.
        other = self.logged_in('32239700')
        self.assertNotIn('پاسخ داده شده',
            other.get('/portal/survey').get_data(as_text=True))
        self.assertEqual(self.post(other, survey).status_code, 302)
        self.assertEqual(len(self.responses(survey, '32239700')), 1)
        self.assertEqual(self.responses(survey), first)

    def test_required_missing_keeps_values(self):
        survey = self.make_survey('پرسش الزامی')
        client = self.logged_in()
        response = self.post(client, survey, rating='', option=1,
            text='<b>متن من</b>')
        self.assertEqual(response.status_code, 400)
        page = response.get_data(as_text=True)
        self.assertIn('لطفاً به این پرسش پاسخ دهید', page)
        self.assertIn('پرسش‌های مشخص‌شده', page)
        # The chosen option and the typed text are still there, escaped.
        option = survey['options'][1]
        self.assertRegex(page,
            r'value="%d"\s*checked' % option)
        self.assertIn(html.escape('<b>متن من</b>'), page)
        self.assertNotIn('<b>متن من</b>', page)
        self.assertEqual(self.responses(survey), [])

        # A made-up option and a too long text are refused the same way.
        response = self.post(client, survey, option=None, text='x' * 1001)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.responses(survey), [])
        data = {'q%d' % survey['rating']: '3',
            'q%d' % survey['choice']: '999999',
            'csrf_token': self.csrf(client, '/portal/survey')}
        response = client.post('/portal/survey/%d' % survey['id'], data=data)
        self.assertEqual(response.status_code, 400)
        self.assertIn('یکی از گزینه‌ها را انتخاب کنید',
            response.get_data(as_text=True))
        self.assertEqual(self.responses(survey), [])

    def test_post_without_csrf_refused(self):
        survey = self.make_survey('بدون توکن')
        client = self.logged_in()
        response = client.post('/portal/survey/%d' % survey['id'], data={
                'q%d' % survey['rating']: '4',
                'q%d' % survey['choice']: str(survey['options'][0])})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.responses(survey), [])
