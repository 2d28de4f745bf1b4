// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * text.c - untrusted text made safe (see text.h): a UTF-8 decoder that
 * keeps each well-formed character (no overlong forms, no surrogates,
 * nothing above U+10FFFF) and writes every other byte as "\xNN".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The length of the well-formed UTF-8 character at s (1-4), or 0; its code point in *cp. */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
	size_t len, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07;
	else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

/* The escaped form of one character (or byte) into out; its length. */
static size_t escape(const unsigned char *s, size_t len, uint32_t cp, enum mt_text_mode mode,
		     char out[16])
{
	size_t n = 0;

	if (len && !(mode == MT_TEXT_TERMINAL && is_control(cp))) {
		memcpy(out, s, len);
		return len;
	}
	/* an invalid byte, or a control character's bytes, as \xNN each */
	for (size_t i = 0; i < (len ? len : 1); i++)
		n += snprintf(out + n, 16 - n, "\\x%02x", s[i]);
	return n;
}

const char *mt_text_safe(const char *s, enum mt_text_mode mode, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t used = 0, len, n;
	uint32_t cp = 0;
	char piece[16];

	if (!size)
		return buf;
	while (*p) {
		len = utf8_char(p, &cp);
		n = escape(p, len, cp, mode, piece);
		if (used + n >= size)
			break;
		memcpy(buf + used, piece, n);
		used += n;
		p += len ? len : 1;
	}
	buf[used] = '\0';
	return buf;
}

char *mt_text_safe_dup(const char *s, enum mt_text_mode mode)
{
	size_t size = 4 * strlen(s ? s : "") + 1; /* \xNN: 4 bytes for each byte at most */
	char *buf = malloc(size);

	return buf ? (char *)mt_text_safe(s, mode, buf, size) : NULL;
}

/* The number of characters of valid UTF-8 text: its bytes that do not continue one. */
static size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The byte offset of character number `nth` of valid UTF-8 text. */
static size_t utf8_offset(const char *s, size_t nth)
{
	size_t i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && nth-- == 0)
			break;
	}
	return i;
}

const char *mt_text_cell(const char *s, int width, bool keep_end, char *buf, size_t size)
{
	static const char ellipsis[] = "\u2026";
	char *copy = mt_text_safe_dup(s, MT_TEXT_TERMINAL);
	const char *safe = copy ? copy : "?";
	size_t len = utf8_length(safe), from = 0, to = strlen(safe), used = 0;

	if (!size || width <= 0 || size < 4 * (size_t)width + 1) {
		if (size)
			buf[0] = '\0';
		free(copy);
		return buf;
	}
	if (len > (size_t)width && keep_end)
		from = utf8_offset(safe, len - width + 1);
	else if (len > (size_t)width)
		to = utf8_offset(safe, width - 1);
	if (len > (size_t)width && keep_end)
		used += snprintf(buf, size, "%s", ellipsis);
	memcpy(buf + used, safe + from, to - from);
	used += to - from;
	if (len > (size_t)width && !keep_end)
		used += snprintf(buf + used, size - used, "%s", ellipsis);
	for (size_t n = len; n < (size_t)width; n++)
		buf[used++] = ' ';
	buf[used] = '\0';
	free(copy);
	return buf;
}

bool mt_text_is_safe(const char *s, enum mt_text_mode mode)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	uint32_t cp;
	size_t len;

	for (; *p; p += len) {
		len = utf8_char(p, &cp);
		if (!len || (mode == MT_TEXT_TERMINAL && is_control(cp)))
			return false;
	}
	return true;
}
