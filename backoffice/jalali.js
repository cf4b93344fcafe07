/* This file is part of Partak.  The COPYRIGHT file at the top level of
   this repository contains the full copyright notices and license terms.

   Jalali (Solar Hijri) dates in sao when the user's language is Persian,
   as Iranian staff read and type them: 1405/09/11 for 2026-12-02.  sao
   formats and parses every date and date-time of lists, forms and search
   through the four Sao.common functions replaced here; the value sent to
   trytond stays the Gregorian date it always is.  A year typed above 1700
   is taken as Gregorian, so a Gregorian date can still be entered.
   Needs jalaali-js (window.jalaali), put before this file by
   scripts/setup.sh into sao's custom.js. */
(function () {
    'use strict';
    var common = Sao.common;
    var original = {
        format_date: common.format_date,
        parse_date: common.parse_date,
        format_datetime: common.format_datetime,
        parse_datetime: common.parse_datetime,
    };
    var PERSIAN = '۰۱۲۳۴۵۶۷۸۹';
    var ARABIC = '٠١٢٣٤٥٦٧٨٩';
    var MONTHS = ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور',
        'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'];
    // The tokens of a Python date format and what they read when parsing.
    var TOKENS = {
        'Y': ['year', '(\\d{4})'],
        'y': ['year2', '(\\d{2})'],
        'm': ['month', '(\\d{1,2})'],
        'd': ['day', '(\\d{1,2})'],
        'H': ['hour', '(\\d{1,2})'],
        'M': ['minute', '(\\d{1,2})'],
        'S': ['second', '(\\d{1,2})'],
        'f': ['fraction', '(\\d{1,6})'],
    };

    // sao passes Python formats (%Y/%m/%d) or, from a field's
    // date_format(), moment's (YYYY/MM/DD): both are read as Python's.
    var MOMENT = {
        'YYYY': '%Y', 'YY': '%y', 'MMMM': '%B', 'MMM': '%b', 'MM': '%m',
        'DD': '%d', 'HH': '%H', 'mm': '%M', 'ss': '%S', 'SSS': '%f',
    };

    function python_format(format) {
        if (format.indexOf('%') >= 0) {
            return format;
        }
        return format.replace(/\[([^\]]*)\]|YYYY|YY|MMMM|MMM|MM|DD|HH|mm|ss|SSS/g,
            function (token, literal) {
                // literals stay moment's: [text]
                return literal !== undefined ? token : MOMENT[token];
            });
    }

    function jalali() {
        return Boolean(window.jalaali) &&
            (Sao.i18n.getlang() || '').slice(0, 2) == 'fa';
    }

    function latin_digits(text) {
        return String(text)
            .replace(/[۰-۹]/g, function (d) { return PERSIAN.indexOf(d); })
            .replace(/[٠-٩]/g, function (d) { return ARABIC.indexOf(d); });
    }

    function pad(number, width) {
        var text = String(number);
        while (text.length < width) {
            text = '0' + text;
        }
        return text;
    }

    // The format with its date tokens replaced by the Jalali values, as
    // moment literals ([...]): moment formats the rest (time, digits).
    function jalali_format(format, date) {
        format = python_format(format);
        var j = jalaali.toJalaali(date.year(), date.month() + 1, date.date());
        var values = {
            '%Y': pad(j.jy, 4), '%y': pad(j.jy % 100, 2),
            '%m': pad(j.jm, 2), '%d': pad(j.jd, 2),
            '%B': MONTHS[j.jm - 1], '%b': MONTHS[j.jm - 1],
        };
        return format.replace(/%[YymdBb]/g, function (token) {
            return '[' + values[token] + ']';
        });
    }

    // {year, month, day, hour, ...} read from value with format, or null.
    function read(format, value, time_optional) {
        format = python_format(format);
        var names = [];
        var pattern = '';
        var time_at = null;
        for (var i = 0; i < format.length; i++) {
            var c = format[i];
            var end = format.indexOf(']', i);
            if (c == '[' && end > i) {
                // a literal of a moment format
                pattern += format.slice(i + 1, end).replace(
                    /[.*+?^${}()|[\]\\\/-]/g, '\\$&');
                i = end;
            } else if (c == '%' && i + 1 < format.length) {
                var token = TOKENS[format[++i]];
                if (!token) {
                    return null;
                }
                if ((token[0] == 'hour') && (time_at === null)) {
                    time_at = pattern.length;
                }
                names.push(token[0]);
                pattern += token[1];
            } else if (/\s/.test(c)) {
                pattern += '\\s+';
            } else {
                pattern += c.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
            }
        }
        if (time_optional && (time_at !== null)) {
            // A date-time may be typed as a date alone.
            pattern = pattern.slice(0, time_at).replace(/(\\s\+)$/, '') +
                '(?:\\s+' + pattern.slice(time_at) + ')?';
        }
        var match = new RegExp('^\\s*' + pattern + '\\s*$').exec(
            latin_digits(value));
        if (!match) {
            return null;
        }
        var parts = {hour: 0, minute: 0, second: 0, fraction: '0'};
        names.forEach(function (name, n) {
            if (match[n + 1] !== undefined) {
                parts[name] = name == 'fraction' ? match[n + 1] :
                    parseInt(match[n + 1], 10);
            }
        });
        if (parts.year === undefined && parts.year2 !== undefined) {
            parts.year = 1400 + parts.year2;
        }
        if (parts.year < 1700) {
            if (!jalaali.isValidJalaaliDate(
                        parts.year, parts.month, parts.day)) {
                return null;
            }
            var g = jalaali.toGregorian(parts.year, parts.month, parts.day);
            parts.year = g.gy;
            parts.month = g.gm;
            parts.day = g.gd;
        }
        parts.millisecond = Math.round(
            parseFloat('0.' + parts.fraction) * 1000);
        return parts;
    }

    function valid(parts) {
        var date = moment([parts.year, parts.month - 1, parts.day,
            parts.hour, parts.minute, parts.second]);
        return date.isValid() && (date.month() == parts.month - 1);
    }

    common.format_date = function (date_format, date) {
        if (!date || !jalali()) {
            return original.format_date(date_format, date);
        }
        return original.format_date(jalali_format(date_format, date), date);
    };

    common.format_datetime = function (datetime_format, date) {
        if (!date || !jalali()) {
            return original.format_datetime(datetime_format, date);
        }
        return original.format_datetime(
            jalali_format(datetime_format, date), date);
    };

    common.parse_date = function (date_format, value) {
        if (!jalali()) {
            return original.parse_date(date_format, value);
        }
        var parts = read(date_format, value, false);
        if (!parts || !valid(parts)) {
            return null;
        }
        return Sao.Date(parts.year, parts.month - 1, parts.day);
    };

    common.parse_datetime = function (datetime_format, value) {
        if (!jalali()) {
            return original.parse_datetime(datetime_format, value);
        }
        var parts = read(datetime_format, value, true);
        if (!parts || !valid(parts)) {
            return null;
        }
        return Sao.DateTime(parts.year, parts.month - 1, parts.day,
            parts.hour, parts.minute, parts.second, parts.millisecond);
    };

    Sao.Partak = Sao.Partak || {};
    Sao.Partak.jalali = {read: read, latin_digits: latin_digits,
        python_format: python_format};
}());
