package org.bess.server.daemon;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.net.UnixDomainPrincipal;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Who may connect: the server's own uid, plus the config's {@code allow.uids} and {@code allow.gids} (numbers or
 * names). A peer (from {@code SO_PEERCRED}: its effective uid and gid when it connected) is allowed when its user or
 * its group is in the list; supplementary groups are not seen by {@code SO_PEERCRED} and do not count. Principals
 * compare by id, so a number and a name of the same user match.
 *
 * <p>Immutable; thread safe.
 */
public final class AllowList {
    private final UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    private final int ownUid;
    private final List<UserPrincipal> users = new ArrayList<>();
    private final List<GroupPrincipal> groups = new ArrayList<>();
    private final Map<String, String> described = new LinkedHashMap<>();
    private final boolean othersAllowed;

    /**
     * Resolves the config's entries.
     *
     * @throws BessException {@code BAD_ARGUMENT} naming an entry that is no user or group.
     */
    public AllowList(final NodeConfig config) {
        this.ownUid = org.bess.client.wire.ControlConnection.procSelfAttribute("unix:uid");
        users.add(user(Integer.toString(ownUid)));
        described.put("uid:" + ownUid, "server");
        boolean others = false;
        for (final String u : config.allowUids()) {
            users.add(user(u));
            described.put("uid:" + u, "config allow.uids");
            others |= !u.equals(Integer.toString(ownUid));
        }
        for (final String g : config.allowGids()) {
            try {
                groups.add(lookup.lookupPrincipalByGroupName(g));
            } catch (final UserPrincipalNotFoundException e) {
                throw new BessException(ErrorCode.BAD_ARGUMENT, "bad config: allow.gids names no group: '" + g + "'");
            } catch (final IOException e) {
                throw new BessException(ErrorCode.IO, "cannot look up group '" + g + "': " + e, e);
            }
            described.put("gid:" + g, "config allow.gids");
        }
        this.othersAllowed = others;
    }

    private UserPrincipal user(final String u) {
        try {
            return lookup.lookupPrincipalByName(u);
        } catch (final UserPrincipalNotFoundException e) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "bad config: allow.uids names no user: '" + u + "'");
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot look up user '" + u + "': " + e, e);
        }
    }

    /** The server's uid. */
    public int ownUid() {
        return ownUid;
    }

    /** Whether users other than the server's own are allowed by uid. */
    public boolean othersAllowed() {
        return othersAllowed;
    }

    /** Whether groups are allowed. */
    public boolean groupsAllowed() {
        return !groups.isEmpty();
    }

    /** The first allowed group (owner group of the socket directory), or null. */
    public GroupPrincipal firstGroup() {
        return groups.isEmpty() ? null : groups.get(0);
    }

    /** The entries, as the node catalog records them. */
    public Map<String, String> describe() {
        return described;
    }

    /** Whether a peer may connect. */
    public boolean allows(final UnixDomainPrincipal peer) {
        return users.contains(peer.user()) || groups.contains(peer.group());
    }

    /**
     * Whether the uid and gid a client declared are the ones {@code SO_PEERCRED} reported.
     *
     * @return false for a mismatch or an unknown id.
     */
    public boolean matches(final UnixDomainPrincipal peer, final int uid, final int gid) {
        try {
            return lookup.lookupPrincipalByName(Integer.toString(uid)).equals(peer.user())
                    && lookup.lookupPrincipalByGroupName(Integer.toString(gid)).equals(peer.group());
        } catch (final IOException e) {
            return false;
        }
    }
}
