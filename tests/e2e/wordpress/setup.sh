#!/usr/bin/env bash
# Brings up the WordPress that the e2e tests talk to: Debian's WordPress 6.1 served by PHP's
# built-in server on 127.0.0.1:$IGNY8_E2E_WP_PORT (8787), backed by MariaDB on 127.0.0.1:3306,
# with the companion plugin installed. Sites are made per test with site.php. Safe to run
# again: each step is skipped or redone in place when it is already in effect.
# "setup.sh stop" stops the server.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
state="$repo/target/e2e-wordpress"
port=${IGNY8_E2E_WP_PORT:-8787}
db_host=127.0.0.1
db_port=3306
db_name=igny8_e2e
db_user=igny8_e2e
wp_root=/usr/share/wordpress
wp_content=/var/lib/wordpress/wp-content

log() { printf 'wordpress e2e: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $port =~ ^[0-9]+$ ]] || die "IGNY8_E2E_WP_PORT must be a port number, got '$port'"
[ "$(id -u)" -eq 0 ] || die "run as root: it installs packages and writes /etc/wordpress"

apt_install() {
    # A machine whose package lists were never fetched fails to find the packages; only then
    # is a refresh worth its time.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$state/apt.log" 2>&1; then
        log "apt-get install failed; refreshing package lists and retrying"
        apt-get update -qq >>"$state/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$state/apt.log" 2>&1 ||
            die "apt-get install $* failed; see $state/apt.log"
    fi
}

health() { curl -fsS --max-time 2 "http://127.0.0.1:$port/_igny8/health" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
want=$(sha1sum "$here/router.php" | cut -d' ' -f1)

# Process groups of e2e servers on this port, from any checkout. The built-in server's
# workers outlive a killed parent, so a server is stopped by its whole group.
server_groups() {
    local dir cmd
    for dir in /proc/[0-9]*; do
        cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
        [[ $cmd == php\ * && $cmd == *"-S 127.0.0.1:$port "*router.php* ]] || continue
        awk '{print $5}' "$dir/stat" 2>/dev/null
    done | sort -u
}
stop_server() {
    local group
    for group in $(server_groups); do
        kill -- "-$group" 2>/dev/null || true
    done
    for _ in $(seq 1 50); do
        listening || return 0
        sleep 0.1
    done
    return 1
}

mkdir -p "$state"
# Test binaries may run this at the same moment; apt and the server start must happen once.
exec 9>"$state/setup.lock"
flock 9

if [ "${1:-}" = stop ]; then
    stop_server || die "the server on 127.0.0.1:$port did not stop"
    log "stopped the server on 127.0.0.1:$port"
    exit 0
fi

# --- MariaDB -------------------------------------------------------------------------------
if ! command -v mariadbd >/dev/null 2>&1 && ! [ -x /usr/sbin/mariadbd ]; then
    log "installing mariadb-server"
    apt_install mariadb-server
fi

mysql_up() { mysqladmin --protocol=tcp -h "$db_host" -P "$db_port" -u root ping >/dev/null 2>&1 || mysqladmin -u root ping >/dev/null 2>&1; }
if ! mysql_up; then
    log "starting MariaDB"
    service mariadb start >/dev/null 2>&1 ||
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
        mysql_up && break
        sleep 0.5
    done
fi
mysql_up || die "MariaDB does not answer on $db_host:$db_port"

# Root over TCP without a password is how this kind of machine comes; a fresh Debian install
# only lets root in through the socket. Either way the admin work below goes through root,
# and WordPress gets its own password-less account limited to the test database.
if mysql --protocol=tcp -h "$db_host" -P "$db_port" -u root -e 'SELECT 1' >/dev/null 2>&1; then
    mysql_admin=(mysql --protocol=tcp -h "$db_host" -P "$db_port" -u root)
else
    mysql_admin=(mysql -u root)
fi
"${mysql_admin[@]}" <<SQL
CREATE DATABASE IF NOT EXISTS \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '';
CREATE USER IF NOT EXISTS '$db_user'@'localhost' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON \`$db_name\`.* TO '$db_user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$db_name\`.* TO '$db_user'@'localhost';
SQL

# --- WordPress and PHP ---------------------------------------------------------------------
php_ready() {
    local status modules
    status=$(dpkg-query -W -f='${Status}' wordpress 2>/dev/null) || return 1
    [[ $status == *"ok installed"* ]] || return 1
    command -v php >/dev/null 2>&1 || return 1
    modules=$(php -m)
    for module in mysqli curl mbstring xml; do
        grep -qx "$module" <<<"$modules" || return 1
    done
}
if ! php_ready; then
    log "installing Debian's wordpress package and PHP"
    # WordPress depends on "apache2 | httpd" and on a PHP SAPI for a web server. The trailing
    # minus signs keep Apache and php-fpm out; mini-httpd (installed disabled) and php-cgi are the
    # smallest packages that satisfy those dependencies instead, where apt would otherwise
    # pick an Erlang web server.
    apt_install wordpress php-cli php-cgi php-mysql php-curl php-xml php-mbstring mini-httpd \
        apache2-bin- libapache2-mod-php8.2- php8.2-fpm-
fi
command -v curl >/dev/null 2>&1 || apt_install curl
[ -f "$wp_root/wp-settings.php" ] || die "$wp_root/wp-settings.php missing after install"

# --- Host config ---------------------------------------------------------------------------
mkdir -p /etc/wordpress
for host in 127.0.0.1 localhost; do
    tmp=$(mktemp /etc/wordpress/.config-XXXXXX)
    sed -e "s/@DB_NAME@/$db_name/" -e "s/@DB_USER@/$db_user/" -e "s/@DB_HOST@/$db_host:$db_port/" \
        -e "s/@PORT@/$port/" "$here/host-config.php.in" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "/etc/wordpress/config-$host.php"
done

# --- wp-content and the companion plugin ---------------------------------------------------
mkdir -p "$wp_content/mu-plugins" "$wp_content/uploads" "$wp_content/upgrade"
# A copy rather than a symlink: the server may outlive the checkout it was set up from.
install -m 0644 "$repo/connectors/wordpress/igny8-sync.php" "$wp_content/mu-plugins/.igny8-sync.php.new"
mv -f "$wp_content/mu-plugins/.igny8-sync.php.new" "$wp_content/mu-plugins/igny8-sync.php"
chown -R www-data:www-data "$wp_content" 2>/dev/null || true

# --- The web server ------------------------------------------------------------------------
if answer=$(health) && [[ $answer == *"\"router\":\"$want\""* ]]; then
    log "server already up on 127.0.0.1:$port"
    exit 0
fi
if [ -n "$(server_groups)" ]; then
    # Started from a router that differs from this one, or whose checkout is gone.
    log "replacing the e2e server on 127.0.0.1:$port"
    stop_server || die "the old server on 127.0.0.1:$port did not stop"
fi
if listening; then
    die "something other than the e2e WordPress server listens on 127.0.0.1:$port; set IGNY8_E2E_WP_PORT"
fi

log "starting php -S 127.0.0.1:$port (log: $state/server.log)"
# Four workers let the daemon's parallel requests, and a webhook sent back to a loopback
# listener while a request is in flight, be served at once. OPcache is off in php-cli by
# default; on, it saves most of each request's time.
PHP_CLI_SERVER_WORKERS=4 setsid php \
    -d opcache.enable_cli=1 -d opcache.validate_timestamps=1 -d opcache.revalidate_freq=0 \
    -d display_errors=0 -d log_errors=1 -d error_log="$state/php-errors.log" \
    -d memory_limit=256M \
    -S "127.0.0.1:$port" -t "$wp_root" "$here/router.php" \
    </dev/null >>"$state/server.log" 2>&1 9>&- &
echo $! >"$state/server.pid"

for _ in $(seq 1 200); do
    if answer=$(health) && [[ $answer == *"\"router\":\"$want\""* ]]; then
        log "server up on http://127.0.0.1:$port/s/<name>/"
        exit 0
    fi
    kill -0 "$(cat "$state/server.pid")" 2>/dev/null || break
    sleep 0.1
done
tail -n 20 "$state/server.log" >&2 || true
die "the server did not answer on 127.0.0.1:$port within 20 s; see $state/server.log"
