# html.sh - --html: the self-contained page rendered by a real headless
# Chromium; the DOM its script builds must hold the plot, the exact peak
# (the JSON report's) and the flame graphs.

# chromium_dom PAGE: the DOM after the page's scripts ran, and a screenshot
chromium_render() {
	command -v chromium > /dev/null || fail "chromium is not installed (tools/install-deps.sh test)"
	local flags=(--headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chromium" --window-size=1250,1400)
	timeout 90 chromium "${flags[@]}" --dump-dom "file://$TMP/$1" > dom.html 2> chromium.err ||
		fail "chromium failed: $(tail -n 3 chromium.err)"
	timeout 90 chromium "${flags[@]}" --screenshot="$TMP/shot.png" "file://$TMP/$1" 2>> chromium.err ||
		fail "chromium screenshot failed: $(tail -n 3 chromium.err)"
}

# the value of attribute ATTR of the element with id ID in dom.html
dom_attr() {
	grep -o "id=\"$1\"[^>]*" dom.html | grep -o "$2=\"[^\"]*\"" | head -n 1 | cut -d'"' -f2
}

test_html_report_renders_in_chromium() {
	require_bpf
	"$MEMTRACE" -q --html report.html --json r.json -- "$WL/sites" split > wl.out
	# self-contained: no script, style or image fetched from anywhere
	grep -Eo '(src|href)="[^"]*"' report.html && fail "the page loads external resources"
	grep -Eo 'https?://[^" ]*' report.html | grep -v '^http://www.w3.org/2000/svg$' &&
		fail "the page names a network address"
	chromium_render report.html
	local peak
	peak=$(jqf .peak_rss_bytes r.json)
	assert_eq "peak marker on the plot" "$(dom_attr peak-marker data-bytes)" "$peak"
	assert_eq "peak shown in the summary" "$(dom_attr peak-value data-bytes)" "$peak"
	grep -o 'id="peak-value"[^<]*' dom.html | grep -q ">$(awk -v b="$peak" 'BEGIN { printf "%.1f MiB", b / 1048576 }') at " ||
		fail "the peak's text is not the JSON's: $(grep -o 'id="peak-value"[^<]*' dom.html)"
	grep -q 'id="peak-label"[^>]*>peak ' dom.html || fail "no peak label"
	grep -q 'class="series"' dom.html || fail "no timeline series drawn"
	# both flame graphs name the growth sites
	sed -n '/id="flame-peak"/,/<\/svg>/p' dom.html | grep -q 'data-name="grow_big_buffer"' ||
		fail "at-peak flame graph lacks grow_big_buffer"
	sed -n '/id="flame-growth"/,/<\/svg>/p' dom.html | grep -q 'data-name="grow_small_pieces"' ||
		fail "growth flame graph lacks grow_small_pieces"
	grep -q '<td class="l">sites</td>' dom.html || fail "no process table"
	assert_ge "screenshot" "$(stat -c %s shot.png)" 20000
	file shot.png | grep -q 'PNG image data, 1250 x 1400' || fail "not a screenshot: $(file shot.png)"
}
