/* The --html page (src/report.html), linked in as one NUL-terminated string. */
	.section .rodata
	.global mt_html_template
	.type mt_html_template, @object
mt_html_template:
	.incbin "src/report.html"
	.byte 0
	.size mt_html_template, . - mt_html_template
	.section .note.GNU-stack, "", @progbits
