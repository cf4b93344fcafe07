# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Surveys with a database: the publish workflow, answering once (in the ORM
and in the database), required questions, targets and the result counts."""
import datetime

from trytond import backend
from trytond.model.exceptions import (
    AccessError, SQLConstraintError, ValidationError)
from trytond.modules.partak_survey import survey as survey_module
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import (
    TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

MODULE = 'partak_survey'


class SurveyTestCase(TestCase):
    "Survey models"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(MODULE)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    # Helpers -------------------------------------------------------------

    def create_survey(self, publish=True, **values):
        Survey = Pool().get('partak.survey')
        survey, = Survey.create([dict({
                        'title': 'Quality',
                        'questions': [('create', [{
                                        'sequence': 1,
                                        'text': 'Speed',
                                        'kind': 'rating',
                                        }, {
                                        'sequence': 2,
                                        'text': 'Support',
                                        'kind': 'choice',
                                        'options': [('create', [
                                                    {'sequence': 1,
                                                        'name': 'Good'},
                                                    {'sequence': 2,
                                                        'name': 'Bad'},
                                                    ])],
                                        }, {
                                        'sequence': 3,
                                        'text': 'Ideas',
                                        'kind': 'text',
                                        'required': False,
                                        }])],
                        }, **values)])
        if publish:
            Survey.publish([survey])
        return survey

    def questions(self, survey):
        speed, support, ideas = survey.questions
        return speed, support, ideas

    def create_party(self, name='Subscriber'):
        Party = Pool().get('party.party')
        party, = Party.create([{'name': name}])
        return party

    def form(self, survey, rating='4', option=0, text=''):
        speed, support, ideas = self.questions(survey)
        return {
            speed.id: rating,
            support.id: (str(support.options[option].id)
                if option is not None else ''),
            ideas.id: text,
            }

    # Workflow ------------------------------------------------------------

    @with_transaction()
    def test_publish_needs_questions_and_options(self):
        "A survey without questions, or a choice with one option, stays draft"
        Survey = Pool().get('partak.survey')
        empty, = Survey.create([{'title': 'Empty'}])
        with self.assertRaises(ValidationError):
            Survey.publish([empty])
        self.assertEqual(empty.state, 'draft')

        one, = Survey.create([{'title': 'One', 'questions': [('create', [{
                                'text': 'Q', 'kind': 'choice',
                                'options': [('create', [{'name': 'A'}])],
                                }])]}])
        with self.assertRaises(ValidationError):
            Survey.publish([one])

        survey = self.create_survey()
        self.assertEqual(survey.state, 'published')
        Survey.close([survey])
        self.assertEqual(survey.state, 'closed')

    @with_transaction()
    def test_questions_frozen_once_published(self):
        "Published questions, options and surveys cannot be changed or deleted"
        pool = Pool()
        Survey = pool.get('partak.survey')
        Question = pool.get('partak.survey.question')
        Option = pool.get('partak.survey.option')
        survey = self.create_survey()
        speed, support, ideas = self.questions(survey)
        with self.assertRaises(AccessError):
            Question.write([speed], {'text': 'Other'})
        with self.assertRaises(AccessError):
            Option.delete([support.options[0]])
        with self.assertRaises(AccessError):
            Question.create([{'survey': survey.id, 'text': 'New',
                        'kind': 'text'}])
        with self.assertRaises(AccessError):
            Survey.delete([survey])
        self.assertEqual(Question(speed.id).text, 'Speed')

        draft = self.create_survey(publish=False)
        Survey.delete([draft])
        self.assertFalse(Survey.search([('id', '=', draft.id)]))

    @with_transaction()
    def test_copy_is_a_draft_without_responses(self):
        "A copy of an answered survey is a new draft with the same questions"
        Survey = Pool().get('partak.survey')
        survey = self.create_survey()
        survey.submit(self.create_party(), self.form(survey))
        copy, = Survey.copy([survey])
        self.assertEqual(copy.state, 'draft')
        self.assertEqual(copy.responses, ())
        self.assertEqual([q.text for q in copy.questions],
            [q.text for q in survey.questions])
        self.assertEqual([o.name for o in copy.questions[1].options],
            ['Good', 'Bad'])

    @with_transaction()
    def test_dates(self):
        "The end must be after the start"
        Survey = Pool().get('partak.survey')
        now = datetime.datetime.now()
        with self.assertRaises(ValidationError):
            Survey.create([{'title': 'T', 'start': now, 'end': now}])

    # Who may answer ------------------------------------------------------

    @with_transaction()
    def test_open_window_and_state(self):
        "Only published surveys inside their window are open"
        Survey = Pool().get('partak.survey')
        party = self.create_party()
        now = datetime.datetime.now()
        hour = datetime.timedelta(hours=1)
        draft = self.create_survey(publish=False, title='Draft')
        current = self.create_survey(title='Current',
            start=now - hour, end=now + hour)
        future = self.create_survey(title='Future', start=now + hour)
        past = self.create_survey(title='Past', start=now - 2 * hour,
            end=now - hour)
        closed = self.create_survey(title='Closed')
        Survey.close([closed])

        self.assertEqual(Survey.for_party(party, now), [current])
        for survey in (draft, future, past, closed):
            with self.subTest(survey=survey.title):
                self.assertFalse(survey.is_open_for(party, now))
                with self.assertRaises(ValidationError):
                    survey.submit(party, self.form(survey))
        self.assertFalse(
            Pool().get('partak.survey.response').search([]))

    @with_transaction()
    def test_target_city(self):
        "A survey for a city is open only to subscribers with a line there"
        pool = Pool()
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        sari, babol = City.create([{'name': 'Sari'}, {'name': 'Babol'}])
        centre, = Centre.create([{'name': 'Daneshgah', 'city': sari.id}])
        other_centre, = Centre.create([{'name': 'C2', 'city': babol.id}])
        inside = self.create_party('Inside')
        outside = self.create_party('Outside')
        Line.create([
                {'phone': '1132455123', 'subscriber': inside.id,
                    'city': sari.id, 'centre': centre.id},
                {'phone': '1132455124', 'subscriber': outside.id,
                    'city': babol.id, 'centre': other_centre.id}])
        survey = self.create_survey(city=sari.id)
        by_centre = self.create_survey(title='Centre', centre=centre.id)
        self.assertTrue(survey.is_open_for(inside))
        self.assertFalse(survey.is_open_for(outside))
        self.assertTrue(by_centre.is_open_for(inside))
        self.assertFalse(by_centre.is_open_for(outside))
        with self.assertRaises(ValidationError):
            survey.submit(outside, self.form(survey))

    # Answering -----------------------------------------------------------

    @with_transaction()
    def test_submit_saves_answers(self):
        "A valid form is saved as a response with one answer per question"
        survey = self.create_survey()
        party = self.create_party()
        speed, support, ideas = self.questions(survey)
        response, errors = survey.submit(party, self.form(
                survey, rating='۵', option=1, text='  More speed\r\nplease '))
        self.assertEqual(errors, {})
        answers = {a.question: a for a in response.answers}
        self.assertEqual(answers[speed].rating, 5)
        self.assertEqual(answers[support].option, support.options[1])
        self.assertEqual(answers[ideas].text, 'More speed\nplease')
        self.assertEqual(survey.response_of(party), response)
        self.assertEqual(survey.respondents, 1)

    @with_transaction()
    def test_submit_once_orm(self):
        "A second response of the same subscriber is refused, the first kept"
        Response = Pool().get('partak.survey.response')
        survey = self.create_survey()
        party = self.create_party()
        first, _ = survey.submit(party, self.form(survey, rating='2'))
        with self.assertRaises(ValidationError) as cm:
            survey.submit(party, self.form(survey, rating='5'))
        self.assertIn('once', cm.exception.message)
        responses = Response.search([('party', '=', party.id)])
        self.assertEqual(responses, [first])
        self.assertEqual(
            [a.rating for a in first.answers if a.rating], [2])
        # Two of the same in one call are refused too.
        other = self.create_party('Other')
        with self.assertRaises(ValidationError):
            Response.create([{'survey': survey.id, 'party': other.id}] * 2)

    @with_transaction()
    def test_submit_once_sql(self):
        "The database itself refuses a second response (UNIQUE constraint)"
        Response = Pool().get('partak.survey.response')
        survey = self.create_survey(publish=False)
        for question in survey.questions:
            question.required = False
            question.save()
        party = self.create_party()
        Response.create([{'survey': survey.id, 'party': party.id}])
        # Past the ORM altogether, as another program would write.
        table = Response.__table__()
        cursor = Transaction().connection.cursor()
        now = datetime.datetime.now()
        with self.assertRaises(backend.DatabaseIntegrityError):
            cursor.execute(*table.insert(
                    [table.survey, table.party, table.date,
                        table.create_uid, table.create_date],
                    [[survey.id, party.id, now, 0, now]]))

    @with_transaction()
    def test_sql_constraint_message(self):
        "Past the ORM check, the constraint answers with the module's message"
        Response = Pool().get('partak.survey.response')
        survey = self.create_survey(publish=False)
        for question in survey.questions:
            question.required = False
            question.save()
        party = self.create_party()
        Response.create([{'survey': survey.id, 'party': party.id}])
        # Skip the module's check in create: only the database can refuse.
        create = super(survey_module.Response, Response).create
        with self.assertRaises(SQLConstraintError) as cm:
            create([{'survey': survey.id, 'party': party.id}])
        self.assertIn('once', cm.exception.message)

    @with_transaction()
    def test_required_questions(self):
        "Missing required answers are reported per question; nothing saved"
        Response = Pool().get('partak.survey.response')
        survey = self.create_survey()
        party = self.create_party()
        speed, support, ideas = self.questions(survey)
        response, errors = survey.submit(
            party, self.form(survey, rating='', option=None, text='idea'))
        self.assertIsNone(response)
        self.assertEqual(set(errors), {speed.id, support.id})
        self.assertFalse(Response.search([]))
        # The optional text may stay empty.
        response, errors = survey.submit(party, self.form(survey))
        self.assertEqual(errors, {})
        self.assertEqual(len(response.answers), 2)

    @with_transaction()
    def test_required_questions_orm(self):
        "The model refuses a response that misses a required question"
        Response = Pool().get('partak.survey.response')
        survey = self.create_survey()
        party = self.create_party()
        speed, support, ideas = self.questions(survey)
        with self.assertRaises(ValidationError) as cm:
            Response.create([{'survey': survey.id, 'party': party.id,
                        'answers': [('create', [{
                                        'question': speed.id,
                                        'rating': 3}])]}])
        self.assertIn('Support', cm.exception.message)

    @with_transaction()
    def test_invalid_values(self):
        "Wrong options, ratings out of range and long texts are refused"
        survey = self.create_survey()
        other = self.create_survey(title='Other')
        party = self.create_party()
        speed, support, ideas = self.questions(survey)
        foreign_option = self.questions(other)[1].options[0]
        for form, question in [
                (self.form(survey, rating='6'), speed),
                (self.form(survey, rating='x'), speed),
                ({**self.form(survey),
                        support.id: str(foreign_option.id)}, support),
                (self.form(survey, text='a' * 1001), ideas),
                ]:
            with self.subTest(form=form):
                response, errors = survey.submit(party, form)
                self.assertIsNone(response)
                self.assertEqual(list(errors), [question.id])
        response, errors = survey.submit(
            party, self.form(survey, text='a' * 1000))
        self.assertEqual(errors, {})

    @with_transaction()
    def test_answer_must_fit_question(self):
        "The model refuses an answer whose value does not fit its question"
        Response = Pool().get('partak.survey.response')
        survey = self.create_survey()
        other = self.create_survey(title='Other')
        party = self.create_party()
        speed, support, ideas = self.questions(survey)
        o_speed = self.questions(other)[0]
        base = [{'question': support.id, 'option': support.options[0].id}]
        for answer in [
                {'question': speed.id, 'rating': 0},
                {'question': speed.id, 'rating': 3, 'text': 'x'},
                {'question': speed.id,
                    'option': support.options[0].id},
                {'question': o_speed.id, 'rating': 3},
                ]:
            with self.subTest(answer=answer):
                with self.assertRaises(ValidationError):
                    Response.create([{'survey': survey.id,
                                'party': party.id,
                                'answers': [('create', base + [answer])]}])

    # Results -------------------------------------------------------------

    @with_transaction()
    def test_result_counts(self):
        "The result rows count the answers per option and per rating"
        pool = Pool()
        Result = pool.get('partak.survey.result')
        Answer = pool.get('partak.survey.answer')
        survey = self.create_survey()
        other = self.create_survey(title='Other')
        speed, support, ideas = self.questions(survey)
        ratings = ['5', '5', '3', '1', '5', '4']
        options = [0, 1, 1, 1, 0, 1]
        for i, (rating, option) in enumerate(zip(ratings, options)):
            party = self.create_party('P%d' % i)
            survey.submit(party, self.form(
                    survey, rating=rating, option=option,
                    text='idea %d' % i if i % 2 else ''))
            # Answers to another survey must not leak into these counts.
            other.submit(party, self.form(other, rating='2', option=0))

        rows = Result.search([('survey', '=', survey.id)])
        counts = {(r.question.id, r.option.id if r.option else r.rating):
            r.count for r in rows}
        expected = {}
        for question in (speed, support):
            for answer in Answer.search([('question', '=', question.id)]):
                key = (question.id,
                    answer.option.id if answer.option else answer.rating)
                expected[key] = expected.get(key, 0) + 1
        # Every option and every score has a row, even with no answer.
        for option in support.options:
            expected.setdefault((support.id, option.id), 0)
        for rating in range(1, 6):
            expected.setdefault((speed.id, rating), 0)
        self.assertEqual(counts, expected)
        self.assertEqual(counts[(speed.id, 5)], ratings.count('5'))
        self.assertEqual(counts[(speed.id, 2)], 0)
        self.assertEqual(counts[(support.id, support.options[1].id)],
            options.count(1))
        self.assertEqual(len(rows), len(set(r.id for r in rows)))
        labels = {r.label for r in rows}
        self.assertIn('Support: Bad', labels)
        self.assertIn('Speed: 5', labels)

        survey = pool.get('partak.survey')(survey.id)
        self.assertEqual(survey.respondents, len(ratings))
        self.assertEqual(
            sorted(a.text for a in survey.text_answers),
            sorted('idea %d' % i for i in range(len(ratings)) if i % 2))

    @with_transaction()
    def test_access_rights(self):
        "Accounting reads the results; agents see nothing"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Survey = pool.get('partak.survey')
        Result = pool.get('partak.survey.result')
        survey = self.create_survey()

        def user(login, group):
            group_id = ModelData.get_id('partak_subscriber', group)
            user, = User.create([{'name': login, 'login': login,
                        'groups': [('add', [group_id])]}])
            return user
        accountant = user('accountant', 'group_partak_accounting')
        agent = user('agent', 'group_partak_agent')
        support = user('support', 'group_partak_support')

        with Transaction().set_user(accountant.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Survey.search([]), [survey])
            self.assertTrue(Result.search([('survey', '=', survey.id)]))
            with self.assertRaises(AccessError):
                Survey.write([Survey(survey.id)], {'title': 'X'})
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Survey.search([])
            with self.assertRaises(AccessError):
                Result.search([])
        with Transaction().set_user(support.id), \
                Transaction().set_context(_check_access=True):
            new, = Survey.create([{'title': 'By support'}])
            self.assertEqual(new.title, 'By support')

    @with_transaction()
    def test_results_button(self):
        "The Results button opens the counts of that survey as list and chart"
        pool = Pool()
        Survey = pool.get('partak.survey')
        Result = pool.get('partak.survey.result')
        survey = self.create_survey()
        other = self.create_survey(title='Other')
        survey.submit(self.create_party(), self.form(survey))
        action = pool.get('ir.action')(
            Survey.results([survey])).get_action_value()
        self.assertEqual(
            [t for _, t in action['views']], ['tree', 'graph'])
        domain = PYSONDecoder({
                'active_id': survey.id,
                'active_ids': [survey.id],
                }).decode(action['pyson_domain'])
        rows = Result.search(domain)
        self.assertEqual({r.survey for r in rows}, {survey})
        self.assertEqual(sum(r.count for r in rows), 2)
        self.assertTrue(Result.search([('survey', '=', other.id)]))
