# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_survey, loaded by scripts/demo_data.py inside its
transaction once the subscribers and services exist: the published survey
«نظرسنجی کیفیت خدمات» answered by 30 generated subscribers, so that the
results chart has numbers, but not by the line 1132455123, so that a visitor
of the portal can answer it."""
import datetime
import random

from trytond.pool import Pool

TITLE = 'نظرسنجی کیفیت خدمات'
VISITOR_PHONE = '1132455123'
RESPONDENTS = 30

SUPPORT = ['عالی', 'خوب', 'متوسط', 'ضعیف']
SERVICES = ['اینترنت ADSL', 'ترافیک اضافه', 'آی‌پی ثابت',
    'سرویس‌های کمپین و جشنواره']
SUGGESTIONS = [
    'سرعت در ساعات شب کمتر می‌شود؛ لطفاً بررسی کنید.',
    'پاسخگویی پشتیبانی تلفنی سریع‌تر باشد.',
    'بسته‌های ترافیک شبانه ارزان‌تر ارائه شود.',
    'از خدمات شما راضی هستم، ممنون.',
    'امکان پرداخت قبض از طریق اپلیکیشن موبایل اضافه شود.',
    'اطلاع‌رسانی قطعی‌ها زودتر پیامک شود.',
    ]


def load_survey():
    "Creates the demo records of this module; safe to call twice."
    pool = Pool()
    Survey = pool.get('partak.survey')
    Response = pool.get('partak.survey.response')
    Line = pool.get('partak.line')
    if Survey.search([('title', '=', TITLE)], limit=1):
        return

    now = datetime.datetime.now()
    start = now - datetime.timedelta(days=14)
    survey, = Survey.create([{
                'title': TITLE,
                'description': ('مشترک گرامی، لطفاً با پاسخ به چند پرسش '
                    'کوتاه ما را در بهبود کیفیت خدمات یاری کنید.'),
                'start': start,
                'questions': [('create', [{
                                'sequence': 10,
                                'text': 'میزان رضایت شما از سرعت اینترنت '
                                'چقدر است؟',
                                'kind': 'rating',
                                }, {
                                'sequence': 20,
                                'text': 'کیفیت پاسخگویی پشتیبانی را چگونه '
                                'ارزیابی می‌کنید؟',
                                'kind': 'choice',
                                'options': [('create', [
                                            {'sequence': i, 'name': n}
                                            for i, n in enumerate(SUPPORT)])],
                                }, {
                                'sequence': 30,
                                'text': 'از کدام سرویس بیشتر استفاده '
                                'می‌کنید؟',
                                'kind': 'choice',
                                'options': [('create', [
                                            {'sequence': i, 'name': n}
                                            for i, n in enumerate(SERVICES)])],
                                }, {
                                'sequence': 40,
                                'text': 'پیشنهاد یا انتقاد شما برای بهبود '
                                'خدمات چیست؟',
                                'kind': 'text',
                                'required': False,
                                }])],
                }])
    Survey.publish([survey])
    speed, support, service, ideas = survey.questions

    # Generated subscribers only: not the manual's subscribers, so that
    # 1132455123 can still answer in the portal.
    parties = []
    for line in Line.search([('phone', '!=', VISITOR_PHONE)],
            order=[('id', 'DESC')], limit=RESPONDENTS * 3):
        party = line.subscriber
        if party not in parties and not any(
                l.phone == VISITOR_PHONE for l in party.lines):
            parties.append(party)
        if len(parties) == RESPONDENTS:
            break

    rng = random.Random(1394)
    values = []
    for party in parties:
        answers = [
            {'question': speed.id,
                'rating': rng.choices(range(1, 6), [1, 2, 5, 9, 6])[0]},
            {'question': support.id, 'option': rng.choices(
                    support.options, [7, 11, 5, 2])[0].id},
            {'question': service.id, 'option': rng.choices(
                    service.options, [14, 8, 2, 4])[0].id},
            ]
        if rng.random() < 0.4:
            answers.append({'question': ideas.id,
                    'text': rng.choice(SUGGESTIONS)})
        values.append({
                'survey': survey.id,
                'party': party.id,
                'date': start + datetime.timedelta(
                    minutes=rng.randrange(13 * 24 * 60)),
                'answers': [('create', answers)],
                })
    Response.create(values)
