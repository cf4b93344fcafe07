# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Surveys (SPEC §3.10): staff publish short questionnaires, each subscriber
answers a survey once, and the back office reads the counts."""
import datetime

from sql import Literal, Null, Union
from sql.aggregate import Count
from sql.operators import Concat

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from trytond.modules.partak_subscriber.validators import latin_digits

STATES = [
    ('draft', "Draft"),
    ('published', "Published"),
    ('closed', "Closed"),
    ]
KINDS = [
    ('choice', "Choice"),
    ('rating', "Rating (1-5)"),
    ('text', "Text"),
    ]
RATINGS = range(1, 6)
# A suggestion box, not an essay: enough for a paragraph, small enough that
# nobody fills the database through the portal.
TEXT_MAX = 1000


class SurveyError(ValidationError):
    pass


class Survey(Workflow, ModelSQL, ModelView):
    """A questionnaire shown in the portal to the subscribers it targets
    while it is published and inside its time window."""
    __name__ = 'partak.survey'
    __string__ = "Survey"
    _rec_name = 'title'
    _draft = {'readonly': Eval('state') != 'draft'}
    _closed = {'readonly': Eval('state') == 'closed'}
    title = fields.Char("Title", required=True, states=_draft)
    description = fields.Text("Description", states=_draft,
        help="Shown above the questions in the portal.")
    start = fields.DateTime("Start", states=_closed,
        help="Empty to open it as soon as it is published.")
    end = fields.DateTime("End", states=_closed,
        domain=[If(Eval('start') & Eval('end'),
                ('end', '>', Eval('start')), ())],
        help="Empty to keep it open until it is closed.")
    city = fields.Many2One('partak.city', "City", states=_closed,
        help="Only subscribers with a line in this city; empty for all.")
    centre = fields.Many2One('partak.telecom_centre', "Telecom Centre",
        states=_closed,
        domain=[If(Eval('city'), ('city', '=', Eval('city', -1)), ())],
        help="Only subscribers with a line at this centre; empty for all.")
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    questions = fields.One2Many('partak.survey.question', 'survey',
        "Questions", states=_draft)
    responses = fields.One2Many('partak.survey.response', 'survey',
        "Responses", readonly=True)
    respondents = fields.Function(fields.Integer("Respondents"),
        'get_respondents')
    text_answers = fields.Function(fields.Many2Many(
            'partak.survey.answer', None, None, "Text Answers"),
        'get_text_answers')
    del _draft, _closed

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._transitions |= {
            ('draft', 'published'),
            ('published', 'closed'),
            ('closed', 'published'),
            }
        cls._buttons.update({
                'publish': {
                    'invisible': Eval('state') == 'published',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'published',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                'results': {
                    'invisible': Eval('state') == 'draft',
                    'icon': 'tryton-graph',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def get_respondents(cls, surveys, name):
        Response = Pool().get('partak.survey.response')
        response = Response.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys((s.id for s in surveys), 0)
        cursor.execute(*response.select(
                response.survey, Count(response.id),
                where=response.survey.in_(list(result)),
                group_by=[response.survey]))
        result.update(cursor)
        return result

    @classmethod
    def get_text_answers(cls, surveys, name):
        Answer = Pool().get('partak.survey.answer')
        result = {s.id: [] for s in surveys}
        for answer in Answer.search([
                    ('response.survey', 'in', list(result)),
                    ('question.kind', '=', 'text'),
                    ], order=[('id', 'DESC')]):
            result[answer.response.survey.id].append(answer.id)
        return result

    @classmethod
    def validate_fields(cls, surveys, field_names):
        super().validate_fields(surveys, field_names)
        if field_names & {'start', 'end'}:
            for survey in surveys:
                if survey.start and survey.end and survey.end <= survey.start:
                    raise SurveyError(gettext(
                            'partak_survey.msg_survey_dates',
                            survey=survey.rec_name))

    @classmethod
    def check_modification(cls, mode, surveys, values=None, external=False):
        super().check_modification(
            mode, surveys, values=values, external=external)
        # Answers point at questions: deleting a survey that was shown to
        # subscribers would lose them.
        if mode == 'delete':
            for survey in surveys:
                if survey.state != 'draft':
                    raise AccessError(gettext(
                            'partak_survey.msg_survey_delete',
                            survey=survey.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('published')
    def publish(cls, surveys):
        for survey in surveys:
            if not survey.questions:
                raise SurveyError(gettext(
                        'partak_survey.msg_survey_no_question',
                        survey=survey.rec_name))
            for question in survey.questions:
                if question.kind == 'choice' and len(question.options) < 2:
                    raise SurveyError(gettext(
                            'partak_survey.msg_choice_options',
                            question=question.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, surveys):
        pass

    @classmethod
    @ModelView.button_action('partak_survey.act_survey_result_survey')
    def results(cls, surveys):
        pass

    # Portal side -----------------------------------------------------------

    def is_open(self, now=None):
        now = now or datetime.datetime.now()
        return (self.state == 'published'
            and (not self.start or self.start <= now)
            and (not self.end or now <= self.end))

    def matches(self, party):
        "Whether the target (city, centre) includes one of the party's lines."
        if not (self.city or self.centre):
            return True
        return any(
            (not self.city or line.city == self.city)
            and (not self.centre or line.centre == self.centre)
            for line in party.lines)

    def is_open_for(self, party, now=None):
        return self.is_open(now) and self.matches(party)

    @classmethod
    def for_party(cls, party, now=None):
        "The open surveys that target this subscriber, newest first."
        now = now or datetime.datetime.now()
        return [s for s in cls.search([
                    ('state', '=', 'published'),
                    ['OR', ('start', '=', None), ('start', '<=', now)],
                    ['OR', ('end', '=', None), ('end', '>=', now)],
                    ])
            if s.matches(party)]

    def response_of(self, party):
        Response = Pool().get('partak.survey.response')
        responses = Response.search([
                ('survey', '=', self.id),
                ('party', '=', party.id),
                ], limit=1)
        return responses[0] if responses else None

    def parse_answers(self, raw):
        """Reads a form (question id -> typed text) into answer values and
        one translated error per question id; saves nothing."""
        answers, errors = [], {}
        for question in self.questions:
            value = (raw.get(question.id) or '').strip()
            if question.kind != 'text':
                # Persian keyboards send Persian digits.
                value = latin_digits(value)
            if not value:
                if question.required:
                    errors[question.id] = gettext(
                        'partak_survey.msg_answer_required')
                continue
            answer = {'question': question.id}
            if question.kind == 'choice':
                options = {str(o.id) for o in question.options}
                if value not in options:
                    errors[question.id] = gettext(
                        'partak_survey.msg_answer_option')
                    continue
                answer['option'] = int(value)
            elif question.kind == 'rating':
                if value not in {str(r) for r in RATINGS}:
                    errors[question.id] = gettext(
                        'partak_survey.msg_answer_rating')
                    continue
                answer['rating'] = int(value)
            else:
                # Normalise line ends so that the limit counts what the
                # subscriber sees, not the browser's \r\n.
                value = value.replace('\r\n', '\n').replace('\r', '\n')
                if len(value) > TEXT_MAX:
                    errors[question.id] = gettext(
                        'partak_survey.msg_answer_too_long', max=TEXT_MAX)
                    continue
                answer['text'] = value
            answers.append(answer)
        return answers, errors

    def submit(self, party, raw):
        """Saves the party's answers once.  Returns the response, or None
        and the errors per question when the form must be shown again."""
        Response = Pool().get('partak.survey.response')
        if not self.is_open_for(party):
            raise SurveyError(gettext('partak_survey.msg_survey_not_open',
                    survey=self.rec_name))
        answers, errors = self.parse_answers(raw)
        if errors:
            return None, errors
        response, = Response.create([{
                    'survey': self.id,
                    'party': party.id,
                    'answers': [('create', answers)],
                    }])
        return response, {}


class Question(ModelSQL, ModelView):
    "One question of a survey: a choice, a 1-5 rating or a free text."
    __name__ = 'partak.survey.question'
    __string__ = "Survey Question"
    _rec_name = 'text'
    survey = fields.Many2One('partak.survey', "Survey", required=True,
        ondelete='CASCADE')
    sequence = fields.Integer("Sequence")
    text = fields.Char("Question", required=True)
    kind = fields.Selection(KINDS, "Kind", required=True)
    kind_string = kind.translated('kind')
    required = fields.Boolean("Required")
    options = fields.One2Many('partak.survey.option', 'question', "Options",
        states={'invisible': Eval('kind') != 'choice'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t, (t.survey, Index.Equality())))

    @staticmethod
    def default_kind():
        return 'choice'

    @staticmethod
    def default_required():
        return True

    @classmethod
    def check_modification(cls, mode, questions, values=None, external=False):
        super().check_modification(
            mode, questions, values=values, external=external)
        check_draft([q.survey for q in questions])


class Option(ModelSQL, ModelView):
    "A possible answer of a choice question."
    __name__ = 'partak.survey.option'
    __string__ = "Survey Option"
    question = fields.Many2One('partak.survey.question', "Question",
        required=True, ondelete='CASCADE')
    sequence = fields.Integer("Sequence")
    name = fields.Char("Option", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t, (t.question, Index.Equality())))

    @classmethod
    def check_modification(cls, mode, options, values=None, external=False):
        super().check_modification(
            mode, options, values=values, external=external)
        check_draft([o.question.survey for o in options])


def check_draft(surveys):
    """Questions and options change only while the survey is a draft: the
    answers already given would otherwise count for another question."""
    for survey in surveys:
        if survey.state != 'draft':
            raise AccessError(gettext('partak_survey.msg_survey_not_draft',
                    survey=survey.rec_name))


class Response(ModelSQL, ModelView):
    "The answers of one subscriber to one survey; one per survey and party."
    __name__ = 'partak.survey.response'
    __string__ = "Survey Response"
    survey = fields.Many2One('partak.survey', "Survey", required=True,
        ondelete='CASCADE', readonly=True)
    party = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='CASCADE', readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    answers = fields.One2Many('partak.survey.answer', 'response', "Answers",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        # The rule "answer once" holds even when two submissions race.
        cls._sql_constraints += [
            ('survey_party_unique', Unique(t, t.survey, t.party),
                'partak_survey.msg_response_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))

    @staticmethod
    def default_date():
        return datetime.datetime.now()

    @classmethod
    def create(cls, vlist):
        # Checked before the insert for a clear message; the UNIQUE
        # constraint stays the guarantee.
        seen = set()
        for values in vlist:
            key = (values.get('survey'), values.get('party'))
            if key in seen or cls.search([
                        ('survey', '=', key[0]), ('party', '=', key[1]),
                        ], limit=1):
                raise SurveyError(gettext('partak_survey.msg_response_unique'))
            seen.add(key)
        return super().create(vlist)

    @classmethod
    def validate(cls, responses):
        super().validate(responses)
        for response in responses:
            answered = {a.question for a in response.answers}
            for question in response.survey.questions:
                if question.required and question not in answered:
                    raise SurveyError(gettext(
                            'partak_survey.msg_required_missing',
                            question=question.rec_name))

    def get_rec_name(self, name):
        return '%s - %s' % (self.survey.rec_name, self.party.rec_name)


class Answer(ModelSQL, ModelView):
    "The answer to one question: an option, a rating or a text."
    __name__ = 'partak.survey.answer'
    __string__ = "Survey Answer"
    response = fields.Many2One('partak.survey.response', "Response",
        required=True, ondelete='CASCADE', readonly=True)
    question = fields.Many2One('partak.survey.question', "Question",
        required=True, ondelete='RESTRICT', readonly=True)
    option = fields.Many2One('partak.survey.option', "Option",
        ondelete='RESTRICT', readonly=True)
    rating = fields.Integer("Rating", readonly=True)
    text = fields.Text("Text", readonly=True)
    party = fields.Function(fields.Many2One('party.party', "Subscriber"),
        'get_response_field')
    date = fields.Function(fields.DateTime("Date"), 'get_response_field')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('response_question_unique', Unique(t, t.response, t.question),
                'partak_survey.msg_answer_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.question, Index.Equality())),
                Index(t, (t.option, Index.Equality())),
                })

    def get_response_field(self, name):
        value = getattr(self.response, name)
        return value.id if isinstance(value, ModelSQL) else value

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if isinstance(values.get('text'), str):
            values['text'] = values['text'].strip() or None
        return values

    @classmethod
    def validate_fields(cls, answers, field_names):
        super().validate_fields(answers, field_names)
        for answer in answers:
            answer.check_value()

    def check_value(self):
        "The value must fit the kind of the question, and only that value."
        question = self.question
        if question.survey != self.response.survey:
            raise SurveyError(gettext('partak_survey.msg_answer_survey',
                    question=question.rec_name))
        kind = question.kind
        if kind == 'choice':
            valid = (self.option is not None
                and self.option.question == question
                and self.rating is None and not self.text)
        elif kind == 'rating':
            valid = (self.rating in RATINGS
                and self.option is None and not self.text)
        else:
            valid = (bool(self.text) and len(self.text) <= TEXT_MAX
                and self.option is None and self.rating is None)
        if not valid:
            raise SurveyError(gettext('partak_survey.msg_answer_kind',
                    question=question.rec_name))


class Result(ModelSQL, ModelView):
    """Counts of the answers per choice option and per rating value, for
    the list and the bar chart of the back office."""
    __name__ = 'partak.survey.result'
    __string__ = "Survey Result"
    survey = fields.Many2One('partak.survey', "Survey", readonly=True)
    question = fields.Many2One('partak.survey.question', "Question",
        readonly=True)
    question_sequence = fields.Integer("Question Sequence", readonly=True)
    sequence = fields.Integer("Sequence", readonly=True)
    option = fields.Many2One('partak.survey.option', "Option", readonly=True)
    rating = fields.Integer("Rating", readonly=True)
    answer = fields.Char("Answer", readonly=True)
    label = fields.Char("Label", readonly=True,
        help="The question and the answer, for the chart's axis.")
    count = fields.Integer("Count", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('survey', 'ASC'),
            ('question_sequence', 'ASC NULLS FIRST'),
            ('question', 'ASC'),
            ('sequence', 'ASC NULLS FIRST'),
            ('id', 'ASC'),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Question = pool.get('partak.survey.question')
        Option = pool.get('partak.survey.option')
        Answer = pool.get('partak.survey.answer')
        question = Question.__table__()
        option = Option.__table__()
        answer = Answer.__table__()

        # Ids: even for options, odd for the five ratings of a question, so
        # that both kinds of row share one id space.
        queries = [option
            .join(question, condition=option.question == question.id)
            .join(answer, 'LEFT', condition=answer.option == option.id)
            .select(
                (option.id * 2).as_('id'),
                question.survey.as_('survey'),
                question.id.as_('question'),
                question.sequence.as_('question_sequence'),
                option.sequence.as_('sequence'),
                option.id.as_('option'),
                cls.rating.sql_cast(Null).as_('rating'),
                option.name.as_('answer'),
                Concat(Concat(question.text, ': '), option.name).as_('label'),
                Count(answer.id).as_('count'),
                group_by=[option.id, question.survey, question.id,
                    question.sequence, option.sequence, option.name,
                    question.text])]
        for rating in RATINGS:
            answer = Answer.__table__()
            queries.append(question
                .join(answer, 'LEFT',
                    condition=(answer.question == question.id)
                    & (answer.rating == rating))
                .select(
                    ((question.id * 8 + rating) * 2 + 1).as_('id'),
                    question.survey.as_('survey'),
                    question.id.as_('question'),
                    question.sequence.as_('question_sequence'),
                    Literal(rating).as_('sequence'),
                    cls.option.sql_cast(Null).as_('option'),
                    Literal(rating).as_('rating'),
                    cls.answer.sql_cast(Literal(str(rating))).as_('answer'),
                    Concat(question.text, ': %d' % rating).as_('label'),
                    Count(answer.id).as_('count'),
                    where=question.kind == 'rating',
                    group_by=[question.id, question.survey,
                        question.sequence, question.text]))
        return Union(*queries, all_=True)
