#!/bin/sh
# The Debian packages, installed as an administrator would: builds them with
# scripts/package, then, in a throwaway root (an overlay over this machine's
# own / in a private mount and network namespace, so nothing here is
# touched and the units' fixed loopback ports are free), runs dpkg -i and
# checks files, owners, modes and conffiles; checks every unit with
# systemd-analyze verify; starts the hub exactly as jejak-hub.service does
# (user jejak, JEJAK_CONFIG=/etc/jejak/hub.cfg, the unit's ExecStart) and
# has the installed jejak-registration store an event in it; then removes
# the package (data kept) and purges it (data gone, said first).
# Needs root (dpkg, mounts). Usage: test_install.sh SOURCE_DIR WORK_DIR
set -eu
src=$1
work=$2

if [ "$(id -u)" -ne 0 ]; then
    echo "test_install: needs root (dpkg into a throwaway root)" >&2
    exit 1
fi

if [ "${JEJAK_IN_ROOT:-}" = "" ]; then
    rm -rf "$work/root"
    mkdir -p "$work/root/upper/tmp/debs" "$work/root/ovl" "$work/root/merged"
    "$src/scripts/package" "$work/root/upper/tmp/debs" "$work/build" \
        >"$work/package.log" 2>&1 || {
        cat "$work/package.log" >&2
        echo "test_install: scripts/package failed" >&2
        exit 1
    }
    cp "$0" "$work/root/upper/tmp/test_install.sh"
    # The rest runs inside: private mounts and a private network.
    JEJAK_IN_ROOT=1 exec unshare --mount --net --fork sh -eu -c '
        root=$1
        mount --make-rprivate /
        mount -t overlay overlay \
            -o lowerdir=/,upperdir=$root/upper,workdir=$root/ovl \
            $root/merged
        mount --bind /proc $root/merged/proc
        mount --bind /dev $root/merged/dev
        mount -t tmpfs tmpfs $root/merged/run
        ip link set lo up
        exec chroot $root/merged sh /tmp/test_install.sh / /tmp' \
        sh "$work/root"
fi

# ---- inside the throwaway root ---------------------------------------------
fail () {
    echo "test_install: FAIL: $*" >&2
    exit 1
}
check () { # DESCRIPTION COMMAND...
    what=$1
    shift
    "$@" || fail "$what"
    echo "ok - $what"
}
export DEBIAN_FRONTEND=noninteractive
debs=/tmp/debs
for p in common hub office status; do
    ls "$debs"/jejak-${p}_*.deb >/dev/null 2>&1 || fail "no jejak-$p package"
done
# A fresh install must create the user itself: none may exist yet.
getent passwd jejak >/dev/null && fail "a jejak user exists before install"

check "dpkg -i of the four packages" \
    dpkg -i "$debs"/jejak-common_*.deb "$debs"/jejak-hub_*.deb \
    "$debs"/jejak-office_*.deb "$debs"/jejak-status_*.deb
for p in jejak-common jejak-hub jejak-office jejak-status; do
    st=$(dpkg-query -W -f='${Status}' $p)
    check "$p is installed ($st)" test "$st" = "install ok installed"
done

# The system user and the state folders.
pw=$(getent passwd jejak)
check "jejak is a system user without a login shell ($pw)" \
    sh -c "echo '$pw' | awk -F: '\$3 < 1000 && \$7 == \"/usr/sbin/nologin\" \
        && \$6 == \"/var/lib/jejak\" {ok=1} END {exit !ok}'"
owner_mode () { stat -c '%U:%G %a' "$1"; }
for d in /var/lib/jejak /var/lib/jejak/hub /var/lib/jejak/office; do
    check "$d is jejak:jejak 750 ($(owner_mode $d))" \
        test "$(owner_mode $d)" = "jejak:jejak 750"
done

# Programs, man pages, completions, units, example configs.
# Every program each package ships (from dpkg's own file list, so a new
# program is checked without editing this test).
programs=$(dpkg -L jejak-hub jejak-office jejak-status | grep '^/usr/bin/' |
    sed 's|^/usr/bin/||' | sort)
for p in jejak-hub jejak-broker jejak-store jejak-keys jejak-replay \
         jejak-schema jejak-registration jejak-attendance jejak-scoring \
         jejak-status; do
    echo "$programs" | grep -qx "$p" || fail "$p is in no package"
done
for p in $programs; do
    check "$p installed and runs --version" \
        sh -c "/usr/bin/$p --version | grep -q '^$p (Jejak) '"
    check "$p.1.gz man page" test -s /usr/share/man/man1/$p.1.gz
    check "$p bash completion" \
        test -s /usr/share/bash-completion/completions/$p
done
for c in hub broker store registration attendance scoring status; do
    f=/etc/jejak/$c.cfg
    check "$f is root:root 644" test "$(owner_mode $f)" = "root:root 644"
done
check "hub.cfg is a conffile of jejak-hub" \
    sh -c "dpkg-query -W -f='\${Conffiles}' jejak-hub | grep -q '/etc/jejak/hub.cfg '"
check "registration.cfg is a conffile of jejak-office" \
    sh -c "dpkg-query -W -f='\${Conffiles}' jejak-office | grep -q '/etc/jejak/registration.cfg '"
units=/usr/lib/systemd/system
check "nothing enabled by the install" \
    sh -c "! ls /etc/systemd/system/*.wants/jejak-* >/dev/null 2>&1"
# Every unit the packages ship: hardened, and valid for systemd.
unit_files=$(ls $units/jejak-*)
for u in jejak-hub.service jejak-broker.service jejak-store.service \
         jejak-status-web.service jejak-sync@.service jejak-sync@.timer; do
    check "$u exists" test -f "$units/$u"
done
verify_list=""
for file in $unit_files; do
    u=$(basename "$file")
    case $u in
        *.timer) verify_list="$verify_list $file"; continue ;;
        *@.service) verify_list="$verify_list $units/${u%@.service}@registration.service" ;;
        *) verify_list="$verify_list $file" ;;
    esac
    for line in ProtectSystem=strict NoNewPrivileges=true PrivateTmp=true \
                CapabilityBoundingSet= Restart=on-failure; do
        case $u in *@.service) [ $line = Restart=on-failure ] && continue ;; esac
        grep -qx "$line" "$file" || fail "$u lacks $line"
    done
    echo "ok - $u is hardened"
done
check "systemd-analyze verify of every unit ($verify_list )" \
    sh -c "SYSTEMD_LOG_LEVEL=warning systemd-analyze verify $verify_list \
        >/tmp/verify.log 2>&1 || { cat /tmp/verify.log; exit 1; }; \
        ! grep -v '^$' /tmp/verify.log"

# Start the hub as its unit does (same user, environment and command).
exec_start=$(sed -n 's/^ExecStart=//p' $units/jejak-hub.service)
env_line=$(sed -n 's/^Environment=//p' $units/jejak-hub.service)
check "the unit starts the hub from the installed config ($exec_start)" \
    test "$exec_start" = "/usr/bin/jejak-hub"
setpriv --reuid=jejak --regid=jejak --init-groups -- env "$env_line" $exec_start \
    >/tmp/hub.log 2>&1 &
hub=$!
# The installed agent stores one event; it delivers as soon as the hub
# answers (or gives up after --wait seconds with exit 3).
rc=0
setpriv --reuid=jejak --regid=jejak --init-groups -- \
    env HOME=/var/lib/jejak/office \
    /usr/bin/jejak-registration --source 32.03.10/pacet-1 \
    --outbox /var/lib/jejak/office/outbox.db --wait 30 cooperative \
    --legal-number "AHU-0001234.AH.01.26.TAHUN 2019" --legal-date 12/03/2019 \
    --name "Koperasi Sauyunan" --form primer --kind serba_usaha \
    --pattern konvensional --desa-code 32.03.10.2012 \
    --members-male 40 --members-female 35 >/tmp/agent.out 2>&1 || rc=$?
cat /tmp/agent.out
check "the installed agent's event is stored (exit $rc)" test $rc -eq 0
kill -TERM $hub
wait $hub || fail "hub did not stop cleanly on SIGTERM: $(cat /tmp/hub.log)"
db=/var/lib/jejak/hub/events.db
check "the event log belongs to jejak, mode 600" \
    test "$(owner_mode $db)" = "jejak:jejak 600"
check "jejak-replay verify: the log holds that one event, intact" \
    sh -c "/usr/bin/jejak-replay verify $db | grep -q 'intact' && \
        /usr/bin/jejak-replay head $db | grep -q 'pos=1 '"

# Remove keeps the data; purge removes it and says so.
check "dpkg -r jejak-hub" dpkg -r jejak-hub
check "remove keeps the event log" test -f $db
check "remove keeps the config" test -f /etc/jejak/hub.cfg
dpkg -P jejak-hub >/tmp/purge.log 2>&1 || fail "dpkg -P: $(cat /tmp/purge.log)"
check "purge says what it removes" \
    grep -q 'removing /var/lib/jejak/hub' /tmp/purge.log
check "purge removes the event log" test ! -e /var/lib/jejak/hub
check "purge removes the config" test ! -e /etc/jejak/hub.cfg
check "the office's data stays" test -d /var/lib/jejak/office
echo "test_install: all checks passed"
