<?php
/**
 * Makes and changes the per-test WordPress sites of the e2e environment (see README.md here).
 * Run with php-cli after setup.sh:
 *
 *   php site.php create NAME [--port P]
 *   php site.php seed NAME COUNT [--type post|page] [--status publish] [--spread SECONDS] [--webhooks]
 *   php site.php plugin NAME --webhook-url URL --secret S
 *   php site.php plugin NAME --off
 *   php site.php drop NAME
 *
 * Every command prints one line of JSON on stdout; diagnostics go to stderr and a failure
 * exits non-zero.
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

// Tests run this once per site, and compiling WordPress is most of a run's time. OPcache's
// file cache keeps the compiled scripts between runs; php-cli has it off, hence the re-exec.
if ( ! ini_get( 'opcache.enable_cli' ) && function_exists( 'pcntl_exec' ) && extension_loaded( 'Zend OPcache' ) ) {
	$igny8_cache = dirname( __DIR__, 3 ) . '/target/e2e-wordpress/opcache';
	if ( is_dir( $igny8_cache ) || @mkdir( $igny8_cache, 0777, true ) ) {
		pcntl_exec(
			PHP_BINARY,
			array_merge( array( '-d', 'opcache.enable_cli=1', '-d', 'opcache.file_cache=' . $igny8_cache, __FILE__ ), array_slice( $argv, 1 ) )
		);
	}
	// If exec fails the script simply goes on without the cache.
}
// Anything PHP prints on stdout would corrupt the one JSON line callers parse.
ini_set( 'display_errors', 'stderr' );
error_reporting( E_ALL & ~E_DEPRECATED & ~E_NOTICE & ~E_WARNING );

function igny8_site_fail( $message, $code = 2 ) {
	$GLOBALS['igny8_done'] = true;
	fwrite( STDERR, "site.php: $message\n" );
	exit( $code );
}

function igny8_site_usage() {
	igny8_site_fail(
		"usage:\n"
		. "  php site.php create NAME [--port P]\n"
		. "  php site.php seed NAME COUNT [--type post|page] [--status publish] [--spread SECONDS] [--webhooks]\n"
		. "  php site.php plugin NAME (--webhook-url URL --secret S | --off)\n"
		. '  php site.php drop NAME'
	);
}

$igny8_args  = array_slice( $argv, 1 );
$igny8_pos   = array();
$igny8_opts  = array();
$igny8_flags = array( 'webhooks', 'off' );
for ( $i = 0; $i < count( $igny8_args ); $i++ ) {
	$arg = $igny8_args[ $i ];
	if ( 0 === strpos( $arg, '--' ) ) {
		$key = substr( $arg, 2 );
		if ( false !== strpos( $key, '=' ) ) {
			list( $key, $value ) = explode( '=', $key, 2 );
		} elseif ( in_array( $key, $igny8_flags, true ) ) {
			$value = true;
		} else {
			if ( ! isset( $igny8_args[ $i + 1 ] ) ) {
				igny8_site_fail( "--$key needs a value" );
			}
			$value = $igny8_args[ ++$i ];
		}
		$igny8_opts[ $key ] = $value;
	} else {
		$igny8_pos[] = $arg;
	}
}
unset( $i, $arg, $key, $value );

$igny8_command = $igny8_pos[0] ?? '';
$igny8_name    = $igny8_pos[1] ?? '';
if ( ! in_array( $igny8_command, array( 'create', 'seed', 'plugin', 'drop' ), true ) || '' === $igny8_name ) {
	igny8_site_usage();
}
// The name becomes a table prefix and a URL segment; the host config checks the same rule.
if ( ! preg_match( '/^[a-z0-9]{1,32}$/', $igny8_name ) ) {
	igny8_site_fail( "site name must be 1-32 lowercase letters or digits, got '$igny8_name'" );
}
$igny8_port = $igny8_opts['port'] ?? ( getenv( 'IGNY8_E2E_WP_PORT' ) ?: '8787' );
if ( ! preg_match( '/^[0-9]{1,5}$/', (string) $igny8_port ) ) {
	igny8_site_fail( "port must be a number, got '$igny8_port'" );
}

// Debian's wp-config.php picks the host config from the Host header, and the host config
// picks the site from IGNY8_WP_SITE; the port becomes part of the site's URL.
putenv( 'IGNY8_WP_SITE=' . $igny8_name );
$_SERVER['HTTP_HOST']   = '127.0.0.1:' . $igny8_port;
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = $igny8_port;
$_SERVER['REQUEST_URI'] = '/s/' . $igny8_name . '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

if ( 'create' === $igny8_command || 'drop' === $igny8_command ) {
	// A site that does not exist yet (or is about to go) must not send WordPress to its
	// installer page.
	define( 'WP_INSTALLING', true );
}

$igny8_wp_root = getenv( 'IGNY8_E2E_WP_ROOT' ) ?: '/usr/share/wordpress';
if ( ! is_file( $igny8_wp_root . '/wp-load.php' ) ) {
	igny8_site_fail( "no WordPress at $igny8_wp_root; run setup.sh first" );
}
// WordPress ends the script quietly when it finds no installed site (it redirects to its
// installer); that must not look like success to a caller waiting for JSON.
$igny8_done = false;
register_shutdown_function(
	function () use ( &$igny8_done, $igny8_name ) {
		if ( ! $igny8_done ) {
			fwrite( STDERR, "site.php: stopped early; does site '$igny8_name' exist (site.php create)?\n" );
			exit( 1 );
		}
	}
);
// Loaded at file scope: WordPress's globals must be real globals.
require $igny8_wp_root . '/wp-load.php';

// The test sites have no mail server; a mail attempt would only add delay and noise.
add_filter( 'pre_wp_mail', '__return_false' );

/**
 * Drops every table of the site. Names have no underscore, so "<name>_%" never matches
 * another site's tables.
 */
function igny8_site_drop_tables( $name ) {
	global $wpdb;
	$tables = $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $name . '_' ) . '%' ) );
	if ( $tables ) {
		$wpdb->query( 'DROP TABLE IF EXISTS `' . implode( '`, `', $tables ) . '`' );
	}
	wp_cache_flush();
	return count( $tables );
}

function igny8_site_out( $data ) {
	$GLOBALS['igny8_done'] = true;
	echo wp_json_encode( $data, JSON_UNESCAPED_SLASHES ), "\n";
}

function igny8_site_create( $name, $port ) {
	global $wpdb, $wp_rewrite;
	igny8_site_drop_tables( $name );

	// The installer mails the admin and probes its own URL over HTTP to choose permalinks;
	// neither is wanted here, and the probe would cost seconds. Its sample post, page,
	// comment and privacy draft would show up in every test's listings, so only the default
	// category, which posts fall back to, is made.
	if ( ! function_exists( 'wp_new_blog_notification' ) ) {
		function wp_new_blog_notification() {}
	}
	if ( ! function_exists( 'wp_install_defaults' ) ) {
		function wp_install_defaults( $user_id ) {
			$term = wp_insert_term( 'Uncategorized', 'category', array( 'slug' => 'uncategorized' ) );
			if ( ! is_wp_error( $term ) ) {
				update_option( 'default_category', $term['term_id'] );
			}
		}
	}
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$skip_probe = function () {
		return '/%postname%/';
	};
	add_filter( 'pre_option_permalink_structure', $skip_probe );
	// Installing writes a few hundred rows, each its own commit and log flush by default.
	// With autocommit off they share one; the CREATE TABLEs still commit on their own.
	$wpdb->query( 'SET autocommit = 0' );
	$admin_password = wp_generate_password( 24, false );
	$installed      = wp_install( 'igny8 e2e ' . $name, 'admin', 'admin@' . $name . '.example.test', 0, '', $admin_password );
	remove_filter( 'pre_option_permalink_structure', $skip_probe );
	if ( empty( $installed['user_id'] ) ) {
		igny8_site_fail( 'wp_install did not create the admin user', 1 );
	}

	// Pretty permalinks are what make /s/<name>/wp-json/... reach the REST API.
	$wp_rewrite->set_permalink_structure( '/%postname%/' );
	flush_rewrite_rules( false );

	wp_cache_flush();
	$admin_id = (int) $installed['user_id'];
	list( $admin_app ) = WP_Application_Passwords::create_new_application_password( $admin_id, array( 'name' => 'igny8 e2e' ) );

	$reader_id = wp_insert_user(
		array(
			'user_login' => 'reader',
			'user_pass'  => wp_generate_password( 24, false ),
			'user_email' => 'reader@' . $name . '.example.test',
			'role'       => 'subscriber',
		)
	);
	if ( is_wp_error( $reader_id ) ) {
		igny8_site_fail( 'creating the reader: ' . $reader_id->get_error_message(), 1 );
	}
	list( $reader_app ) = WP_Application_Passwords::create_new_application_password( $reader_id, array( 'name' => 'igny8 e2e' ) );
	$wpdb->query( 'COMMIT' );
	$wpdb->query( 'SET autocommit = 1' );

	igny8_site_out(
		array(
			'base_url'            => 'http://127.0.0.1:' . $port . '/s/' . $name,
			'username'            => 'admin',
			'app_password'        => $admin_app,
			'reader_username'     => 'reader',
			'reader_app_password' => $reader_app,
		)
	);
}

/**
 * Body text for seeded posts: a few paragraphs with the headings, links and lists that the
 * analyzer and linker care about. Deterministic per post number, so reruns look alike.
 */
function igny8_site_body( $n, &$title ) {
	static $words = null;
	if ( null === $words ) {
		$words = explode(
			' ',
			'garden soil compost tomato pepper basil mulch seedling harvest water sunlight shade '
			. 'pruning trellis organic fertilizer rain barrel greenhouse season frost spring summer '
			. 'autumn winter root leaf flower fruit vegetable herb bed raised container drip '
			. 'irrigation pest aphid ladybug beetle weed hoe rake spade wheelbarrow orchard apple '
			. 'pear cherry plum berry strawberry blueberry raspberry bean pea carrot onion garlic '
			. 'potato squash pumpkin cucumber lettuce spinach kale cabbage broccoli cauliflower'
		);
	}
	mt_srand( $n * 7919 + 13 );
	$pick = function ( $count ) use ( $words ) {
		$out = array();
		for ( $i = 0; $i < $count; $i++ ) {
			$out[] = $words[ mt_rand( 0, count( $words ) - 1 ) ];
		}
		return $out;
	};
	$sentence = function () use ( $pick ) {
		return ucfirst( implode( ' ', $pick( mt_rand( 8, 16 ) ) ) ) . '.';
	};
	$paragraph = function () use ( $sentence ) {
		$s = array();
		for ( $i = mt_rand( 3, 6 ); $i > 0; $i-- ) {
			$s[] = $sentence();
		}
		return implode( ' ', $s );
	};

	$topic = $pick( 3 );
	$title = sprintf( '%s %s and %s, part %d', ucfirst( $topic[0] ), $topic[1], $topic[2], $n );
	$html  = '<p>' . $paragraph() . '</p>' . "\n\n";
	$html .= '<h2>' . ucfirst( implode( ' ', $pick( 4 ) ) ) . '</h2>' . "\n\n";
	$html .= '<p>' . $paragraph() . ' See <a href="/' . $topic[1] . '-guide/">our ' . $topic[1] . ' guide</a> for more.</p>' . "\n\n";
	if ( 0 === $n % 3 ) {
		$html .= "<ul>\n";
		foreach ( $pick( mt_rand( 3, 5 ) ) as $item ) {
			$html .= '<li>' . ucfirst( $item ) . ' ' . implode( ' ', $pick( 3 ) ) . "</li>\n";
		}
		$html .= "</ul>\n\n";
	}
	$html .= '<p>' . $paragraph() . '</p>';
	return $html;
}

function igny8_site_seed( $count, $type, $status, $spread, $webhooks ) {
	global $wpdb;
	if ( ! post_type_exists( $type ) ) {
		igny8_site_fail( "unknown post type '$type'" );
	}
	if ( ! in_array( $status, array_keys( get_post_stati() ), true ) ) {
		igny8_site_fail( "unknown post status '$status'" );
	}
	$admin = get_user_by( 'login', 'admin' );
	if ( ! $admin ) {
		igny8_site_fail( 'the site has no admin user; create it first', 1 );
	}
	wp_set_current_user( $admin->ID );
	// As the admin, content is stored as given; the filters also cost most of an insert.
	kses_remove_filters();
	if ( ! $webhooks ) {
		// Seeding sets the scene before a test; a burst of webhooks for it is usually noise.
		add_filter( 'igny8_sync_send_webhooks', '__return_false' );
	}
	wp_defer_term_counting( true );
	wp_suspend_cache_invalidation( true );
	// Per post, these queue pings and enclosure checks (meta rows and a cron option write)
	// and clear a cache; none of it matters to a test site, and together it is a third of
	// the time of an insert.
	remove_action( 'publish_post', '_publish_post_hook', 5 );
	remove_action( 'transition_post_status', '__clear_multi_author_cache' );
	remove_action( 'save_post', 'delete_get_calendar_cache' );

	$first = 1 + (int) $wpdb->get_var( "SELECT COALESCE(MAX(ID), 0) FROM {$wpdb->posts}" );
	$now   = time();
	$made  = 0;
	// One transaction per few hundred inserts instead of one log flush per statement.
	$wpdb->query( 'START TRANSACTION' );
	for ( $k = 0; $k < $count; $k++ ) {
		$n     = $first + $k;
		$title = '';
		$body  = igny8_site_body( $n, $title );
		// Older posts first, a fixed gap apart: modified times are then distinct and ordered
		// like the ids, and all lie before anything a test does afterwards.
		$when = $now - ( $count - $k ) * $spread;
		$id   = wp_insert_post(
			array(
				'post_type'     => $type,
				'post_status'   => $status,
				'post_title'    => $title,
				'post_content'  => $body,
				'post_excerpt'  => '',
				'post_author'   => $admin->ID,
				'post_date'     => get_date_from_gmt( gmdate( 'Y-m-d H:i:s', $when ) ),
				'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $when ),
			),
			true
		);
		if ( is_wp_error( $id ) ) {
			$wpdb->query( 'ROLLBACK' );
			igny8_site_fail( 'wp_insert_post: ' . $id->get_error_message(), 1 );
		}
		$made++;
		if ( 0 === $made % 500 ) {
			$wpdb->query( 'COMMIT' );
			$wpdb->query( 'START TRANSACTION' );
		}
	}
	$wpdb->query( 'COMMIT' );
	wp_suspend_cache_invalidation( false );
	wp_defer_term_counting( false );
	igny8_site_out( array( 'count' => $made ) );
}

switch ( $igny8_command ) {
	case 'create':
		igny8_site_create( $igny8_name, $igny8_port );
		break;

	case 'seed':
		$count = $igny8_pos[2] ?? '';
		if ( ! preg_match( '/^[0-9]+$/', $count ) ) {
			igny8_site_usage();
		}
		$spread = $igny8_opts['spread'] ?? '1';
		if ( ! preg_match( '/^[0-9]+$/', (string) $spread ) ) {
			igny8_site_fail( '--spread takes whole seconds' );
		}
		igny8_site_seed(
			(int) $count,
			(string) ( $igny8_opts['type'] ?? 'post' ),
			(string) ( $igny8_opts['status'] ?? 'publish' ),
			(int) $spread,
			! empty( $igny8_opts['webhooks'] )
		);
		break;

	case 'plugin':
		if ( ! empty( $igny8_opts['off'] ) ) {
			delete_option( 'igny8_webhook_url' );
			delete_option( 'igny8_webhook_secret' );
		} else {
			$url    = (string) ( $igny8_opts['webhook-url'] ?? '' );
			$secret = (string) ( $igny8_opts['secret'] ?? '' );
			if ( ! preg_match( '#^https?://#', $url ) || '' === $secret ) {
				igny8_site_usage();
			}
			update_option( 'igny8_webhook_url', $url, false );
			update_option( 'igny8_webhook_secret', $secret, false );
		}
		igny8_site_out( array( 'webhooks' => function_exists( 'igny8_sync_webhook_config' ) && null !== igny8_sync_webhook_config() ) );
		break;

	case 'drop':
		igny8_site_out( array( 'dropped_tables' => igny8_site_drop_tables( $igny8_name ) ) );
		break;
}
