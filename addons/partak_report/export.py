# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""One export of every report (report.py): the rows listed in sao, with the
columns of the model's _columns, as a Persian right-to-left PDF (weasyprint,
the portal's Vazirmatn font) or an XLSX sheet (openpyxl).  Amounts are
integer Rials, dates Jalali text."""
import datetime
import importlib.util
import io
import os
from decimal import Decimal

import jdatetime
from jinja2 import Environment, FileSystemLoader

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

from trytond.modules.partak_payment.payment import format_rials
from trytond.modules.partak_services.tools import to_local

from .exceptions import ReportExportError
from .report import report_range

TEMPLATES = os.path.join(os.path.dirname(__file__), 'templates')


def jalali_text(value):
    "1394/07/27 (a date), 1394/07/27 14:09 (a date-time, as stored)."
    if isinstance(value, datetime.datetime):
        value = to_local(value)
        jdate = jdatetime.datetime.fromgregorian(datetime=value)
        return jdate.strftime('%Y/%m/%d %H:%M')
    jdate = jdatetime.date.fromgregorian(date=value)
    return '%04d/%02d/%02d' % (jdate.year, jdate.month, jdate.day)


def font_root():
    "The portal's static folder (its Vazirmatn font), if it is installed."
    spec = importlib.util.find_spec('trytond.modules.partak_portal')
    if spec and spec.origin:
        path = os.path.join(os.path.dirname(spec.origin), 'static')
        if os.path.isdir(path):
            return 'file://' + path + '/'
    return None


class ReportExport(Report):
    "Export of a financial report"
    __name__ = 'partak.report.export'
    extension = None

    @classmethod
    def table(cls, Model, records):
        """(title, headers, rows, numeric flags): the cells as Python values
        (int for amounts, str for the rest)."""
        columns = Model._columns
        definitions = Model.fields_get(columns)
        headers = [definitions[c]['string'] for c in columns]
        numeric = [definitions[c]['type'] in {'numeric', 'integer', 'float'}
            and c not in {'jalali_year'} for c in columns]
        rows = []
        for record in records:
            row = []
            for column in columns:
                definition = definitions[column]
                value = getattr(record, column)
                if value is None:
                    row.append(0 if definition['type'] == 'numeric' else '')
                elif definition['type'] == 'selection':
                    row.append(dict(definition['selection']).get(value, value))
                elif definition['type'] == 'many2one':
                    row.append(value.rec_name)
                elif definition['type'] in {'date', 'datetime'}:
                    row.append(jalali_text(value))
                elif isinstance(value, (Decimal, float)):
                    row.append(int(round(value)))
                elif column == 'jalali_year':
                    row.append(str(value))
                else:
                    row.append(value)
            rows.append(row)
        return Model.__names__()['model'], headers, rows, numeric

    @classmethod
    def subtitle(cls):
        start, end = report_range()
        return gettext('partak_report.msg_report_range',
            start=jalali_text(start), end=jalali_text(end))

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        action_id = data.get('action_id')
        if action_id is not None:
            action = ActionReport(action_id)
        else:
            action, = ActionReport.search([
                    ('report_name', '=', cls.__name__),
                    ], limit=1)
        # one action of each format for all the reports, bound to each
        # report model (report.xml): the model is the list's
        model = data.get('model')
        if not model or not getattr(pool.get(model), '_columns', None):
            raise ReportExportError(gettext('partak_report.msg_no_report'))
        ids = list(map(int, ids or []))
        cls.check_access(action, model, ids)
        Model = pool.get(model)
        records = Model.browse(ids) if ids else Model.search([])
        title, headers, rows, numeric = cls.table(Model, records)
        content = cls.render_table(title, cls.subtitle(), headers, rows,
            numeric)
        return cls.extension, content, False, title

    @classmethod
    def render_table(cls, title, subtitle, headers, rows, numeric):
        raise NotImplementedError


class ReportPDF(ReportExport):
    "Financial report as PDF"
    __name__ = 'partak.report.pdf'
    extension = 'pdf'

    @classmethod
    def render_table(cls, title, subtitle, headers, rows, numeric):
        import weasyprint
        environment = Environment(loader=FileSystemLoader(TEMPLATES),
            autoescape=True)
        environment.filters['rials'] = format_rials
        totals = [sum(r[i] for r in rows) if flag else None
            for i, flag in enumerate(numeric)]
        html = environment.get_template('report.html').render(
            title=title, subtitle=subtitle, headers=headers, rows=rows,
            numeric=numeric, totals=totals if rows else None,
            total_label=gettext('partak_report.msg_total'),
            empty=gettext('partak_report.msg_empty'),
            font_css=bool(font_root()))
        pdf = io.BytesIO()
        weasyprint.HTML(string=html, base_url=font_root() or TEMPLATES
            ).write_pdf(pdf)
        return pdf.getvalue()


class ReportXLSX(ReportExport):
    "Financial report as XLSX"
    __name__ = 'partak.report.xlsx'
    extension = 'xlsx'

    @classmethod
    def render_table(cls, title, subtitle, headers, rows, numeric):
        from openpyxl import Workbook
        from openpyxl.styles import Font
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = title[:31]
        sheet.sheet_view.rightToLeft = True
        sheet.append([title])
        sheet.append([subtitle])
        sheet.append(headers)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, flag in enumerate(numeric, 1):
            letter = sheet.cell(row=3, column=index).column_letter
            sheet.column_dimensions[letter].width = 18
            if flag:
                for cell in sheet[letter][3:]:
                    cell.number_format = '#,##0'
        if rows and any(numeric):
            total = [sum(r[i] for r in rows) if flag else ''
                for i, flag in enumerate(numeric)]
            if not numeric[0]:
                total[0] = gettext('partak_report.msg_total')
            sheet.append(total)
            for index, flag in enumerate(numeric, 1):
                cell = sheet.cell(row=sheet.max_row, column=index)
                cell.font = Font(bold=True)
                if flag:
                    cell.number_format = '#,##0'
        content = io.BytesIO()
        workbook.save(content)
        return content.getvalue()
