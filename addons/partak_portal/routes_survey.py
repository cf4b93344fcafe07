# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Portal pages of the surveys (SPEC §3.10): the open surveys of the
subscriber and the form that answers one, once."""
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.partak_survey.survey import TEXT_MAX

from .routes import PREFIX, paging, route


def open_survey(visit, survey_id):
    """The survey if it is open to this subscriber; anything else (draft,
    closed, outside its window or its target, unknown) is a 404 so that
    the portal does not tell which surveys exist."""
    Survey = Pool().get('partak.survey')
    surveys = Survey.search([('id', '=', survey_id)], limit=1)
    if not surveys or not surveys[0].is_open_for(visit.party):
        raise NotFound()
    return surveys[0]


@route('/survey')
def survey_list(visit):
    Survey = Pool().get('partak.survey')
    Response = Pool().get('partak.survey.response')
    surveys = Survey.for_party(visit.party)
    answered = {r.survey.id: r for r in Response.search([
                ('party', '=', visit.party.id),
                ('survey', 'in', [s.id for s in surveys]),
                ])}
    pager = paging(visit.request, len(surveys))
    rows = surveys[pager['offset']:pager['offset'] + pager['size']]
    thanks = visit.request.args.get('thanks', type=int)
    return visit.page('survey_list.html', active='survey', rows=rows,
        answered=answered, pager=pager,
        thanks=thanks in answered)


@route('/survey/<int:survey_id>', methods=('GET', 'POST'),
    multiline=('q*',))
def survey_form(visit, survey_id):
    request, _ = visit.request, visit._
    survey = open_survey(visit, survey_id)
    response = survey.response_of(visit.party)
    values, errors, error, status = {}, {}, None, 200
    if request.method == 'POST':
        values = {q.id: request.form.get('q%d' % q.id, '')
            for q in survey.questions}
        if response:
            # Refused whatever was sent: the first answers stay.
            error, status = _("You have already answered this survey. "
                "Each survey can be answered once."), 409
        else:
            try:
                response, errors = survey.submit(visit.party, values)
            except ValidationError as exception:
                # A second tab that submitted first, or a survey closed
                # in between: the model's message says which.
                Transaction().rollback()
                error, status = exception.message, 409
                response = None
            else:
                if response:
                    return redirect(
                        '%s/survey?thanks=%d' % (PREFIX, survey.id))
                error, status = _("Some answers are missing or not valid; "
                    "see the marked questions."), 400
    return visit.page('survey_form.html', active='survey', survey=survey,
        response=response, values=values, errors=errors, error=error,
        status=status, text_max=TEXT_MAX)
