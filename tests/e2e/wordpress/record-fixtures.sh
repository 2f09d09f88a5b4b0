#!/usr/bin/env bash
# Records the WordPress REST responses that the mock-server tests replay, from the real
# e2e WordPress, into tests/fixtures/wordpress/. Each file is
#   {"request": {...}, "status": N, "headers": {...}, "body": <JSON>}
# with the site's URL replaced by {{base_url}}. Rerunning rebuilds the site "fx" from scratch
# and overwrites the files; dates, ids and application passwords change, shapes do not.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out="$repo/tests/fixtures/wordpress"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$here/setup.sh"
site=fx
created=$(php "$here/site.php" create "$site")
field() { php -r 'echo json_decode($argv[1], true)[$argv[2]];' "$created" "$1"; }
base=$(field base_url)
admin="$(field username):$(field app_password)"
reader="$(field reader_username):$(field reader_app_password)"
# Webhooks on, so the status fixture says so; nothing listens on the discard port, which
# refuses at once, so the writes below are not slowed down.
php "$here/site.php" plugin "$site" --webhook-url "http://127.0.0.1:9/igny8/webhook" \
    --secret "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >/dev/null
# Distinct modified times a second apart: post 4 is trashed below, leaving 3 in status=any.
php "$here/site.php" seed "$site" 4 --spread 1 >/dev/null
mkdir -p "$out"

cat >"$work/assemble.php" <<'PHP'
<?php
// argv: base_url method path query headers_file body_file request_body_or_empty request_headers auth_label
list( , $base, $method, $path, $query, $headers_file, $body_file, $request_body, $request_headers, $auth ) = $argv;
$keep    = array( 'content-type', 'x-wp-total', 'x-wp-totalpages', 'link', 'allow' );
$status  = 0;
$headers = array();
foreach ( file( $headers_file, FILE_IGNORE_NEW_LINES ) as $line ) {
	if ( preg_match( '#^HTTP/\S+ (\d{3})#', $line, $m ) ) {
		$status  = (int) $m[1];
		$headers = array();
	} elseif ( preg_match( '/^([^:]+):\s*(.*?)\s*$/', $line, $m ) && in_array( strtolower( $m[1] ), $keep, true ) ) {
		// Repeated headers (WordPress sends several Link lines) fold into one, as HTTP allows.
		$name             = strtolower( $m[1] );
		$headers[ $name ] = isset( $headers[ $name ] ) ? $headers[ $name ] . ', ' . $m[2] : $m[2];
	}
}
$text = file_get_contents( $body_file );
$body = json_decode( $text );
if ( JSON_ERROR_NONE !== json_last_error() ) {
	fwrite( STDERR, "not JSON: $path\n" . substr( $text, 0, 500 ) . "\n" );
	exit( 1 );
}
// The URL is the only part of a response that depends on where the server ran.
$swap = function ( $value ) use ( &$swap, $base ) {
	if ( is_string( $value ) ) {
		return str_replace( $base, '{{base_url}}', $value );
	}
	if ( is_array( $value ) ) {
		return array_map( $swap, $value );
	}
	if ( is_object( $value ) ) {
		$copy = new stdClass();
		foreach ( get_object_vars( $value ) as $k => $v ) {
			$copy->{$swap( (string) $k )} = $swap( $v );
		}
		return $copy;
	}
	return $value;
};
$request = array( 'method' => $method, 'path' => $path );
if ( '' !== $query ) {
	$request['query'] = $query;
}
if ( '' !== $auth ) {
	$request['auth'] = $auth;
}
foreach ( array_filter( explode( "\n", $request_headers ) ) as $line ) {
	list( $name, $value )          = array_map( 'trim', explode( ':', $line, 2 ) );
	$request['headers'][ $name ] = $value;
}
if ( '' !== $request_body ) {
	$request['body'] = json_decode( $request_body );
}
$flags = JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;
$doc   = array(
	'request' => $request,
	'status'  => $status,
	'headers' => $swap( (object) $headers ),
	'body'    => $swap( $body ),
);
// The index describes every route, and indented it is three times the size; one line per
// route keeps it near its size on the wire and still gives readable diffs.
if ( is_object( $doc['body'] ) && isset( $doc['body']->routes ) && is_object( $doc['body']->routes ) ) {
	$routes = $doc['body']->routes;
	$doc['body']->routes = '@ROUTES@';
	$lines = array();
	foreach ( get_object_vars( $routes ) as $route => $spec ) {
		$lines[] = '            ' . json_encode( (string) $route, $flags & ~JSON_PRETTY_PRINT ) . ': ' . json_encode( $spec, $flags & ~JSON_PRETTY_PRINT );
	}
	echo str_replace( '"@ROUTES@"', "{\n" . implode( ",\n", $lines ) . "\n        }", json_encode( $doc, $flags ) ), "\n";
} else {
	echo json_encode( $doc, $flags ), "\n";
}
PHP

# record FILE METHOD PATH QUERY AUTH [JSON_BODY] [extra curl args...]
record() {
    local file=$1 method=$2 path=$3 query=$4 auth=$5 body=${6:-}
    shift 6 || shift $#
    local url="$base/wp-json$path${query:+?$query}"
    local args=(-sS -X "$method" -D "$work/headers" -o "$work/body")
    [ -n "$auth" ] && args+=(-u "$auth")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    # Headers the test adds (-H) go into the fixture's request; authentication does not.
    local sent="" arg take=""
    for arg in "$@"; do
        [ -n "$take" ] && sent+="$arg"$'\n'
        take=""
        [ "$arg" = -H ] && take=1
    done
    # Which credentials were used, by role; the passwords themselves stay out of the files.
    local as=""
    case "$auth" in
        "") as="" ;;
        "$admin") as="admin" ;;
        "$reader") as="reader" ;;
        *) as="wrong-password" ;;
    esac
    curl "${args[@]}" "$@" "$url"
    php "$work/assemble.php" "$base" "$method" "/wp-json$path" "$query" "$work/headers" "$work/body" "$body" "$sent" "$as" >"$out/$file.json"
    printf '%-36s %s\n' "$file" "$(php -r 'echo json_decode(file_get_contents($argv[1]))->status;' "$out/$file.json")"
}
modified() { curl -sS -u "$admin" "$base/wp-json/wp/v2/posts/$1?context=edit&_fields=modified_gmt" | php -r 'echo json_decode(stream_get_contents(STDIN))->modified_gmt;'; }

record post-trash DELETE /wp/v2/posts/4 "" "$admin" ""
record index GET / "" "" ""
list="context=edit&status=any&per_page=2&orderby=modified&order=asc"
record posts-edit-page1 GET /wp/v2/posts "$list&page=1" "$admin" ""
record posts-edit-page2 GET /wp/v2/posts "$list&page=2" "$admin" ""
record posts-edit-past-end GET /wp/v2/posts "$list&page=3" "$admin" ""
record posts-trash GET /wp/v2/posts "context=edit&status=trash&per_page=100" "$admin" ""
record posts-sweep-fields GET /wp/v2/posts "context=edit&status=any&per_page=100&_fields=id,modified_gmt,status&orderby=id&order=asc" "$admin" ""
record posts-modified-after GET /wp/v2/posts "context=edit&status=any&per_page=100&orderby=modified&order=asc&_fields=id,modified_gmt&modified_after=$(modified 1)Z" "$admin" ""
record post-single-edit GET /wp/v2/posts/1 "context=edit" "$admin" ""
record users-me-admin GET /wp/v2/users/me "context=edit" "$admin" ""
record users-me-reader GET /wp/v2/users/me "context=edit" "$reader" ""
record users-me-wrong-password GET /wp/v2/users/me "context=edit" "admin:wrongpasswordwrongpassword" ""
record posts-edit-wrong-password GET /wp/v2/posts "$list&page=1" "admin:wrongpasswordwrongpassword" ""
record posts-edit-reader-forbidden-context GET /wp/v2/posts "context=edit&per_page=2" "$reader" ""
record posts-edit-reader-forbidden-status GET /wp/v2/posts "$list&page=1" "$reader" ""
record post-update POST /wp/v2/posts/1 "" "$admin" \
    '{"content":"<p>Updated by the fixture recorder.</p>\n\n<p>See <a href=\"/compost-guide/\">the compost guide</a>.</p>"}' \
    -H "X-Igny8-Expected-Modified: $(modified 1)"
sleep 1
batch=$(printf '{"validation":"require-all-validate","requests":[%s,%s]}' \
    "{\"method\":\"POST\",\"path\":\"/wp/v2/posts/2\",\"headers\":{\"X-Igny8-Expected-Modified\":\"$(modified 2)\"},\"body\":{\"title\":\"Second post, retitled in a batch\"}}" \
    "{\"method\":\"POST\",\"path\":\"/wp/v2/posts/3\",\"headers\":{\"X-Igny8-Expected-Modified\":\"$(modified 3)\"},\"body\":{\"content\":\"<p>Third post, rewritten in a batch.</p>\"}}")
record batch-two-updates POST /batch/v1 "" "$admin" "$batch"
stale='{"method":"POST","path":"/wp/v2/posts/2","headers":{"X-Igny8-Expected-Modified":"2001-01-01T00:00:00"},"body":{"title":"Lost update"}}'
record batch-precondition-failed POST /batch/v1 "" "$admin" "{\"requests\":[$stale]}"
record precondition-failed POST /wp/v2/posts/1 "" "$admin" '{"title":"Lost update"}' \
    -H "X-Igny8-Expected-Modified: 2001-01-01T00:00:00"
record post-delete-force DELETE /wp/v2/posts/4 "force=true" "$admin" ""
record igny8-status GET /igny8/v1/status "" "$admin" ""
record igny8-deletions GET /igny8/v1/deletions "since=2001-01-01T00:00:00" "$admin" ""

php "$here/site.php" drop "$site" >/dev/null
