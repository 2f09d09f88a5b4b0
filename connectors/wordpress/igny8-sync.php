<?php
/**
 * Plugin Name: igny8 sync companion
 * Description: Signed change webhooks, a deletion journal and a write precondition for the igny8 sync daemon.
 * Version: 1.0.0
 * Requires at least: 5.7
 * Requires PHP: 7.2
 * License: GPL-2.0-or-later
 *
 * Core WordPress has no change feed, no record of permanently deleted posts and no
 * conditional writes. The igny8 daemon works without this plugin (it polls and reconciles),
 * and uses each of these three features when the plugin is there:
 *
 * 1. Webhooks. After a request that saved, trashed, untrashed or permanently deleted a post,
 *    one POST per post goes to the configured URL, with a JSON body
 *      {"delivery_id", "event": "saved"|"trashed"|"untrashed"|"deleted", "post_id",
 *       "post_type", "modified_gmt": "YYYY-MM-DDTHH:MM:SS" or null once deleted, "site_url"}
 *    and the headers X-Igny8-Delivery (the delivery id), X-Igny8-Timestamp (unix seconds) and
 *    X-Igny8-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed by the secret>.
 *    Webhooks are hints to re-read the post, never the data itself. Only post types shown in
 *    REST and viewable (posts, pages, public custom types) are reported.
 * 2. Deletion journal. Permanent deletes of those types are kept (the latest 1,000) and served
 *    by GET /wp-json/igny8/v1/deletions?since=<GMT time> to users who can edit posts, as
 *    [{"post_id", "post_type", "deleted_gmt"}], oldest first, deleted_gmt >= since. Once old
 *    entries have been dropped, the header X-Igny8-Journal-Complete-After names the time up
 *    to which the journal may have gaps.
 * 3. Precondition. A write to a single post (POST/PUT/PATCH) that carries
 *    X-Igny8-Expected-Modified: <GMT time> fails with 412 rest_precondition_failed when the
 *    post has changed since; the error data has current_modified_gmt. Inside /batch/v1 the
 *    header goes in each request's own "headers"; the batch request's headers do not apply.
 * GET /wp-json/igny8/v1/status tells the daemon which of these are on.
 *
 * Install: copy this file into wp-content/mu-plugins/. Webhooks stay off until both a URL and
 * a secret are set, either as the options igny8_webhook_url and igny8_webhook_secret
 * (e.g. wp option update igny8_webhook_url https://...), or as the constants
 * IGNY8_WEBHOOK_URL and IGNY8_WEBHOOK_SECRET in wp-config.php, which take precedence.
 */

defined( 'ABSPATH' ) || exit;

const IGNY8_SYNC_VERSION = '1.0.0';
const IGNY8_SYNC_JOURNAL_OPTION = 'igny8_deletions';
const IGNY8_SYNC_JOURNAL_CUT_OPTION = 'igny8_deletions_complete_after';
const IGNY8_SYNC_JOURNAL_MAX = 1000;

/**
 * The webhook target and secret, or null when webhooks are not configured.
 */
function igny8_sync_webhook_config() {
	$url    = defined( 'IGNY8_WEBHOOK_URL' ) ? IGNY8_WEBHOOK_URL : get_option( 'igny8_webhook_url', '' );
	$secret = defined( 'IGNY8_WEBHOOK_SECRET' ) ? IGNY8_WEBHOOK_SECRET : get_option( 'igny8_webhook_secret', '' );
	if ( ! is_string( $url ) || '' === $url || ! is_string( $secret ) || '' === $secret ) {
		return null;
	}
	return array( $url, $secret );
}

/**
 * Whether changes to posts of this type concern the daemon: content it can read over REST.
 * Menus, templates, changesets and the like are left out.
 */
function igny8_sync_tracks_type( $post_type ) {
	$object  = get_post_type_object( $post_type );
	$tracked = $object && ! empty( $object->show_in_rest ) && is_post_type_viewable( $object );
	return (bool) apply_filters( 'igny8_sync_tracks_type', $tracked, $post_type );
}

/**
 * A time as the REST API writes modified_gmt.
 */
function igny8_sync_gmt( $mysql_time ) {
	return str_replace( ' ', 'T', $mysql_time );
}

/**
 * The post's modified_gmt exactly as the REST API reports it, so that a client can echo back
 * what it read. Drafts may have a zero GMT column; the API then derives it from local time.
 */
function igny8_sync_modified_gmt( WP_Post $post ) {
	$gmt = $post->post_modified_gmt;
	if ( '0000-00-00 00:00:00' === $gmt ) {
		$gmt = gmdate( 'Y-m-d H:i:s', strtotime( $post->post_modified ) - (int) ( (float) get_option( 'gmt_offset' ) * 3600 ) );
	}
	return igny8_sync_gmt( $gmt );
}

/**
 * Parses a GMT time given as YYYY-MM-DDTHH:MM:SS, optionally with a space for the T,
 * fractional seconds, and a Z or +00:00 suffix. Returns the canonical form or null.
 */
function igny8_sync_parse_gmt( $value ) {
	if ( ! is_string( $value ) || ! preg_match( '/^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?$/i', trim( $value ), $m ) ) {
		return null;
	}
	$time = DateTime::createFromFormat( '!Y-m-d H:i:s', $m[1] . ' ' . $m[2], new DateTimeZone( 'UTC' ) );
	if ( ! $time || $time->format( 'Y-m-d H:i:s' ) !== $m[1] . ' ' . $m[2] ) {
		return null;
	}
	return $m[1] . 'T' . $m[2];
}

/*
 * Webhooks.
 *
 * Events are gathered during the request and sent when it ends, one per post, naming the
 * last thing that happened to it. A REST update saves the post before it sets its terms and
 * meta; a webhook sent from save_post could make the daemon re-read a half-written post and
 * then skip the finished one, whose modified time is the same second. Sending at the end
 * also folds the save that trashing and untrashing do internally into one event.
 */

$GLOBALS['igny8_sync_pending'] = array();
$GLOBALS['igny8_sync_deleting'] = array();

function igny8_sync_queue( $event, $post_id, $post_type ) {
	if ( ! igny8_sync_tracks_type( $post_type ) ) {
		return;
	}
	// Re-inserting moves the post to the end, so deliveries keep the order of last change.
	unset( $GLOBALS['igny8_sync_pending'][ $post_id ] );
	$GLOBALS['igny8_sync_pending'][ $post_id ] = array( $event, $post_type );
	static $hooked = false;
	if ( ! $hooked ) {
		$hooked = true;
		// Late, after WordPress has flushed its output buffers at priority 1.
		add_action( 'shutdown', 'igny8_sync_flush', 1000 );
	}
}

add_action(
	'save_post',
	function ( $post_id, $post ) {
		if ( wp_is_post_revision( $post ) || wp_is_post_autosave( $post ) || 'auto-draft' === $post->post_status ) {
			return;
		}
		// Trashing saves the post first; the trashed event that follows stands for both.
		if ( 'trash' === $post->post_status && isset( $GLOBALS['igny8_sync_pending'][ $post_id ] )
			&& 'trashed' === $GLOBALS['igny8_sync_pending'][ $post_id ][0] ) {
			return;
		}
		igny8_sync_queue( 'saved', (int) $post_id, $post->post_type );
	},
	10,
	2
);

add_action(
	'wp_trash_post',
	function ( $post_id ) {
		$post = get_post( $post_id );
		if ( $post ) {
			igny8_sync_queue( 'trashed', (int) $post_id, $post->post_type );
		}
	}
);

add_action(
	'trashed_post',
	function ( $post_id ) {
		$post = get_post( $post_id );
		if ( $post ) {
			igny8_sync_queue( 'trashed', (int) $post_id, $post->post_type );
		}
	}
);

add_action(
	'untrashed_post',
	function ( $post_id ) {
		$post = get_post( $post_id );
		if ( $post ) {
			igny8_sync_queue( 'untrashed', (int) $post_id, $post->post_type );
		}
	}
);

add_action(
	'before_delete_post',
	function ( $post_id ) {
		$post = get_post( $post_id );
		// Revisions are deleted along with their post and are no content of their own.
		if ( $post && 'revision' !== $post->post_type ) {
			$GLOBALS['igny8_sync_deleting'][ (int) $post_id ] = $post->post_type;
		}
	}
);

add_action(
	'deleted_post',
	function ( $post_id ) {
		$post_id = (int) $post_id;
		if ( ! isset( $GLOBALS['igny8_sync_deleting'][ $post_id ] ) ) {
			return;
		}
		$post_type = $GLOBALS['igny8_sync_deleting'][ $post_id ];
		unset( $GLOBALS['igny8_sync_deleting'][ $post_id ] );
		if ( ! igny8_sync_tracks_type( $post_type ) ) {
			return;
		}
		igny8_sync_journal_append( $post_id, $post_type );
		igny8_sync_queue( 'deleted', $post_id, $post_type );
	}
);

/**
 * Sends the gathered events. Each goes out with blocking off and a one-second timeout; with
 * the cURL transport "non-blocking" still waits for the reply up to that timeout, so the
 * whole send is also capped, after which the remaining events are dropped: they are hints,
 * and the daemon's polling finds those changes anyway.
 */
function igny8_sync_flush() {
	$pending = $GLOBALS['igny8_sync_pending'];
	$GLOBALS['igny8_sync_pending'] = array();
	$config = igny8_sync_webhook_config();
	if ( ! $pending || null === $config || ! apply_filters( 'igny8_sync_send_webhooks', true ) ) {
		return;
	}
	// Under PHP-FPM the client can have its response now instead of after the webhooks.
	if ( function_exists( 'fastcgi_finish_request' ) ) {
		fastcgi_finish_request();
	}
	$started = microtime( true );
	$budget  = (float) apply_filters( 'igny8_sync_webhook_budget', 3.0 );
	list( $url, $secret ) = $config;
	foreach ( $pending as $post_id => list( $event, $post_type ) ) {
		if ( microtime( true ) - $started > $budget ) {
			error_log( sprintf( 'igny8 sync: webhook receiver too slow, %d event(s) not sent', count( $pending ) ) );
			return;
		}
		unset( $pending[ $post_id ] );
		$modified = null;
		if ( 'deleted' !== $event ) {
			clean_post_cache( $post_id );
			$post = get_post( $post_id );
			if ( ! $post ) {
				continue;
			}
			$modified = igny8_sync_modified_gmt( $post );
		}
		$delivery = wp_generate_uuid4();
		$body     = wp_json_encode(
			array(
				'delivery_id'  => $delivery,
				'event'        => $event,
				'post_id'      => (int) $post_id,
				'post_type'    => $post_type,
				'modified_gmt' => $modified,
				'site_url'     => home_url(),
			),
			JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
		);
		$timestamp = (string) time();
		wp_remote_post(
			$url,
			array(
				'blocking'    => false,
				'timeout'     => 1,
				'redirection' => 0,
				'headers'     => array(
					'Content-Type'      => 'application/json',
					'X-Igny8-Delivery'  => $delivery,
					'X-Igny8-Timestamp' => $timestamp,
					'X-Igny8-Signature' => 'sha256=' . hash_hmac( 'sha256', $timestamp . '.' . $body, $secret ),
				),
				'body'        => $body,
			)
		);
	}
}

/*
 * Deletion journal.
 */

/**
 * Appends a permanent delete. Requests run in parallel and the journal is one option, so the
 * read-modify-write holds a database lock and reads the stored value, not a cached one;
 * without that, two deletes at once would keep only one entry.
 */
function igny8_sync_journal_append( $post_id, $post_type ) {
	global $wpdb;
	$lock   = 'igny8_journal_' . $wpdb->prefix;
	$locked = (int) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 5)', $lock ) );
	try {
		$stored  = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", IGNY8_SYNC_JOURNAL_OPTION ) );
		$entries = null === $stored ? array() : maybe_unserialize( $stored );
		if ( ! is_array( $entries ) ) {
			$entries = array();
		}
		$entries[] = array(
			'post_id'     => (int) $post_id,
			'post_type'   => (string) $post_type,
			'deleted_gmt' => gmdate( 'Y-m-d\TH:i:s' ),
		);
		if ( count( $entries ) > IGNY8_SYNC_JOURNAL_MAX ) {
			$dropped = array_splice( $entries, 0, count( $entries ) - IGNY8_SYNC_JOURNAL_MAX );
			$last    = end( $dropped );
			// From here on the journal no longer covers the time of the dropped entries.
			wp_cache_delete( IGNY8_SYNC_JOURNAL_CUT_OPTION, 'options' );
			update_option( IGNY8_SYNC_JOURNAL_CUT_OPTION, $last['deleted_gmt'], false );
		}
		wp_cache_delete( IGNY8_SYNC_JOURNAL_OPTION, 'options' );
		if ( null === $stored ) {
			add_option( IGNY8_SYNC_JOURNAL_OPTION, $entries, '', 'no' );
		} else {
			update_option( IGNY8_SYNC_JOURNAL_OPTION, $entries, false );
		}
	} finally {
		if ( $locked ) {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}
}

/*
 * REST routes.
 */

function igny8_sync_can_read( WP_REST_Request $request ) {
	if ( current_user_can( 'edit_posts' ) ) {
		return true;
	}
	return new WP_Error(
		'rest_forbidden',
		__( 'Sorry, you are not allowed to do that.' ),
		array( 'status' => rest_authorization_required_code() )
	);
}

add_action(
	'rest_api_init',
	function () {
		register_rest_route(
			'igny8/v1',
			'/status',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => 'igny8_sync_can_read',
				'callback'            => function () {
					return rest_ensure_response(
						array(
							'plugin_version' => IGNY8_SYNC_VERSION,
							'webhooks'       => null !== igny8_sync_webhook_config(),
							'journal'        => true,
						)
					);
				},
			)
		);

		// Whether an Authorization header reached PHP at all. WordPress treats a request whose
		// credentials it cannot use as anonymous, so without this a host that strips the header
		// looks the same as a wrong password. It says nothing about the credentials themselves.
		register_rest_route(
			'igny8/v1',
			'/auth-header',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => '__return_true',
				'callback'            => function () {
					$seen = ! empty( $_SERVER['HTTP_AUTHORIZATION'] )
						|| ! empty( $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] )
						|| ! empty( $_SERVER['PHP_AUTH_USER'] );
					return rest_ensure_response( array( 'authorization_header' => $seen ) );
				},
			)
		);

		register_rest_route(
			'igny8/v1',
			'/deletions',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => 'igny8_sync_can_read',
				'args'                => array(
					'since' => array(
						'description'       => 'Only deletions at or after this GMT time (YYYY-MM-DDTHH:MM:SS).',
						'type'              => 'string',
						'required'          => false,
						'validate_callback' => function ( $value ) {
							return null !== igny8_sync_parse_gmt( $value )
								? true
								: new WP_Error( 'rest_invalid_param', 'since must be a GMT time like 2024-01-31T23:59:59.', array( 'status' => 400 ) );
						},
					),
				),
				'callback'            => function ( WP_REST_Request $request ) {
					$since = null === $request['since'] ? null : igny8_sync_parse_gmt( $request['since'] );
					wp_cache_delete( IGNY8_SYNC_JOURNAL_OPTION, 'options' );
					$entries = get_option( IGNY8_SYNC_JOURNAL_OPTION, array() );
					$result  = array();
					foreach ( is_array( $entries ) ? $entries : array() as $entry ) {
						if ( null === $since || strcmp( $entry['deleted_gmt'], $since ) >= 0 ) {
							$result[] = $entry;
						}
					}
					$response = rest_ensure_response( $result );
					// Entries at or before this time may have been dropped to keep the journal small.
					$cut = get_option( IGNY8_SYNC_JOURNAL_CUT_OPTION, '' );
					if ( $cut ) {
						$response->header( 'X-Igny8-Journal-Complete-After', $cut );
					}
					return $response;
				},
			)
		);
	}
);

/*
 * Precondition on writes.
 *
 * rest_request_before_callbacks runs for plain requests and for each request inside a
 * /batch/v1 call, after the route is matched (so the post id is known) and before the
 * handler. rest_pre_dispatch also runs for batch items in 6.1, but without the URL params.
 */
add_filter(
	'rest_request_before_callbacks',
	function ( $response, $handler, WP_REST_Request $request ) {
		if ( is_wp_error( $response ) || ! in_array( $request->get_method(), array( 'POST', 'PUT', 'PATCH' ), true ) ) {
			return $response;
		}
		$expected = $request->get_header( 'X-Igny8-Expected-Modified' );
		if ( null === $expected ) {
			return $response;
		}
		$callback = $handler['callback'] ?? null;
		if ( ! is_array( $callback ) || ! $callback[0] instanceof WP_REST_Posts_Controller || 'update_item' !== $callback[1] ) {
			return $response;
		}
		$post = get_post( (int) $request['id'] );
		// Unknown posts and users who may not edit the post get the handler's own error; the
		// modified time of a post they cannot edit is not theirs to learn from a 412.
		if ( ! $post || ! current_user_can( 'edit_post', $post->ID ) ) {
			return $response;
		}
		$wanted = igny8_sync_parse_gmt( $expected );
		if ( null === $wanted ) {
			return new WP_Error(
				'rest_invalid_header',
				'X-Igny8-Expected-Modified must be a GMT time like 2024-01-31T23:59:59.',
				array( 'status' => 400 )
			);
		}
		$current = igny8_sync_modified_gmt( $post );
		if ( $current !== $wanted ) {
			return new WP_Error(
				'rest_precondition_failed',
				'The post was modified since the expected time.',
				array(
					'status'               => 412,
					'current_modified_gmt' => $current,
				)
			);
		}
		return $response;
	},
	10,
	3
);
