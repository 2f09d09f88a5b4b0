<?php
/**
 * Router for PHP's built-in server, so one WordPress install serves many sites.
 *
 * A site lives under the path prefix /s/<name>/. The host config written by setup.sh picks
 * the table prefix from that same prefix, and the site's home URL ends in /s/<name>, so
 * WordPress strips it again when it parses the request. The built-in server knows nothing of
 * this prefix, which is why this script serves static files itself and hands every other
 * request to the right PHP entry point with the server variables WordPress reads.
 *
 * Started by setup.sh as: php -S 127.0.0.1:PORT -t <WordPress root> router.php
 */

$igny8_uri  = $_SERVER['REQUEST_URI'] ?? '/';
$igny8_path = rawurldecode( (string) parse_url( $igny8_uri, PHP_URL_PATH ) );

// setup.sh asks this before trusting a server already on the port: one started from a
// different router must be replaced, and a foreign one must not be mistaken for ours.
if ( '/_igny8/health' === $igny8_path ) {
	header( 'Content-Type: application/json' );
	echo json_encode( array( 'router' => sha1_file( __FILE__ ) ) );
	return true;
}

if ( ! preg_match( '#^/s/([a-z0-9]+)(/.*)?$#', $igny8_path, $igny8_m ) ) {
	http_response_code( 404 );
	header( 'Content-Type: application/json' );
	echo json_encode(
		array(
			'code'    => 'igny8_e2e_no_site',
			'message' => 'Sites live under /s/<name>/ (lowercase letters and digits).',
		)
	);
	return true;
}

$igny8_prefix = '/s/' . $igny8_m[1];
$igny8_rel    = ltrim( $igny8_m[2] ?? '', '/' );
$igny8_root   = rtrim( $_SERVER['DOCUMENT_ROOT'], '/' );
// Debian keeps uploads and the writable part of wp-content outside the code tree.
$igny8_content = is_dir( '/var/lib/wordpress/wp-content' ) ? '/var/lib/wordpress/wp-content' : $igny8_root . '/wp-content';

/**
 * Resolves a site-relative path to a file, refusing anything that escapes the allowed roots.
 */
function igny8_e2e_resolve( $rel, $root, $content ) {
	$candidates = array();
	if ( 0 === strpos( $rel, 'wp-content/' ) ) {
		$candidates[] = array( $content, substr( $rel, strlen( 'wp-content/' ) ) );
	}
	$candidates[] = array( $root, $rel );
	foreach ( $candidates as list( $base, $tail ) ) {
		$real_base = realpath( $base );
		$real      = realpath( $base . '/' . $tail );
		if ( false === $real_base || false === $real ) {
			continue;
		}
		if ( $real !== $real_base && 0 !== strpos( $real, $real_base . '/' ) ) {
			continue;
		}
		if ( is_dir( $real ) ) {
			$real .= '/index.php';
			if ( ! is_file( $real ) ) {
				continue;
			}
		}
		if ( is_file( $real ) ) {
			return array( $real, $base );
		}
	}
	return null;
}

$igny8_file   = null;
$igny8_script = 'index.php';
if ( '' !== $igny8_rel ) {
	$igny8_found = igny8_e2e_resolve( $igny8_rel, $igny8_root, $igny8_content );
	if ( null !== $igny8_found ) {
		list( $igny8_file ) = $igny8_found;
		if ( '.php' !== substr( $igny8_file, -4 ) ) {
			$igny8_types = array(
				'css'   => 'text/css',
				'js'    => 'application/javascript',
				'json'  => 'application/json',
				'map'   => 'application/json',
				'svg'   => 'image/svg+xml',
				'png'   => 'image/png',
				'jpg'   => 'image/jpeg',
				'jpeg'  => 'image/jpeg',
				'gif'   => 'image/gif',
				'webp'  => 'image/webp',
				'ico'   => 'image/x-icon',
				'woff'  => 'font/woff',
				'woff2' => 'font/woff2',
				'ttf'   => 'font/ttf',
				'txt'   => 'text/plain',
				'html'  => 'text/html',
				'xml'   => 'application/xml',
			);
			$igny8_ext = strtolower( pathinfo( $igny8_file, PATHINFO_EXTENSION ) );
			header( 'Content-Type: ' . ( $igny8_types[ $igny8_ext ] ?? ( mime_content_type( $igny8_file ) ?: 'application/octet-stream' ) ) );
			header( 'Content-Length: ' . filesize( $igny8_file ) );
			if ( 'HEAD' !== $_SERVER['REQUEST_METHOD'] ) {
				readfile( $igny8_file );
			}
			return true;
		}
		// Only files inside the code tree are entry points; PHP under wp-content is never run directly.
		if ( 0 !== strpos( $igny8_file, realpath( $igny8_root ) . '/' ) ) {
			$igny8_file = null;
		} else {
			$igny8_script = substr( $igny8_file, strlen( realpath( $igny8_root ) ) + 1 );
		}
	}
}
if ( null === $igny8_file ) {
	$igny8_file   = realpath( $igny8_root . '/index.php' );
	$igny8_script = 'index.php';
}

// WordPress derives the requested permalink from REQUEST_URI and PHP_SELF minus the home
// path; both must carry the /s/<name> prefix, and PATH_INFO must stay empty.
$_SERVER['SCRIPT_NAME']     = $igny8_prefix . '/' . $igny8_script;
$_SERVER['PHP_SELF']        = $_SERVER['SCRIPT_NAME'];
$_SERVER['SCRIPT_FILENAME'] = $igny8_file;
unset( $_SERVER['PATH_INFO'], $_SERVER['ORIG_PATH_INFO'] );
// Basic auth reaches PHP_AUTH_USER/PW only when the SAPI parses it; WordPress reads those.
if ( ! isset( $_SERVER['PHP_AUTH_USER'] ) && isset( $_SERVER['HTTP_AUTHORIZATION'] )
	&& 0 === stripos( $_SERVER['HTTP_AUTHORIZATION'], 'basic ' ) ) {
	$igny8_pair = base64_decode( substr( $_SERVER['HTTP_AUTHORIZATION'], 6 ), true );
	if ( false !== $igny8_pair && false !== strpos( $igny8_pair, ':' ) ) {
		list( $_SERVER['PHP_AUTH_USER'], $_SERVER['PHP_AUTH_PW'] ) = explode( ':', $igny8_pair, 2 );
	}
}
chdir( dirname( $igny8_file ) );
unset( $igny8_m, $igny8_found, $igny8_types, $igny8_ext, $igny8_pair );

// Included at file scope on purpose: WordPress expects its globals to be real globals.
require $igny8_file;
return true;
