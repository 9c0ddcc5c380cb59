/* Legacy links (`--link NAME[:ALIAS]`, HostConfig.Links) on the default bridge, as dockerd's
 * registerLinks (at create) and buildSandboxOptions/setupLinkedContainers (at each start) do:
 * the target must exist at create and run at start, and the container's /etc/hosts gets
 * "<target ip>\t<alias> <target hostname> [<target name>]" for each link. The links' environment
 * variables (DB_PORT_5432_TCP=...) are not made. On a user-defined network a link is an alias in
 * Docker's embedded DNS, which lade does not have: refused at create rather than ignored.
 * What stays true: nothing here changes the target; the lines are written only into the
 * container's own hosts file, before its own line (the order dockerd writes). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "containers-internal.h"
#include "json-util.h"
#include "util.h"

#define LINKS_MAX 256
#define LINK_NET_HOPS 16   /* NetworkMode container:X chains followed */

static bool user_defined(const char *mode)
{
        return !streq(mode, "bridge") && !streq(mode, "none") && !streq(mode, "host") &&
               !startswith(mode, "container:");
}

/* opts.ParseLink: "name[:alias]"; a leading "/" of the name is dropped. */
static int parse_link(const char *v, char **ret_name, char **ret_alias, LadeError **err)
{
        if (!*v)
                return lade_error_msg(err, EINVAL, "empty string specified for links");
        const char *c = strchr(v, ':');
        if (c && strchr(c + 1, ':'))
                return lade_error_msg(err, EINVAL, "bad format for links: %s", v);
        _cleanup_free_ char *name = c ? xstrndup(v, (size_t) (c - v)) : xstrdup(v);
        const char *alias = c ? c + 1 : name;
        *ret_alias = xstrdup(*alias == '/' ? alias + 1 : alias);
        *ret_name = xstrdup(name[0] == '/' ? name + 1 : name);
        return 0;
}

static int links_of(const Ctr *c, json_t **ret, LadeError **err)
{
        json_t *links = json_object_get(json_object_get(c->create, "HostConfig"), "Links");
        if (links && !json_is_null(links) && !json_is_array(links))
                return lade_error_msg(err, EINVAL, "HostConfig.Links: expected an array of strings");
        if (json_array_size(links) > LINKS_MAX)
                return lade_error_msg(err, EINVAL, "HostConfig.Links: more than %d links", LINKS_MAX);
        *ret = links;
        return 0;
}

static bool endpoint_links(const Ctr *c)
{
        const char *k;
        json_t *ep;
        json_object_foreach(json_object_get(json_object_get(c->create, "NetworkingConfig"), "EndpointsConfig"), k, ep)
                if (json_array_size(json_object_get(ep, "Links")) > 0)
                        return true;
        return false;
}

/* Loads the link's target into t (t->e set, c's connection shared), following container:X. */
static int target_db(const Ctr *c, Ctr *t, LadeError **err)
{
        *t = (Ctr) { .e = c->e, .db = c->db, .db_borrowed = c->db != NULL };
        return c->db ? 0 : ctr_borrow_db(t, err);
}

static int load_target(const Ctr *c, Ctr *t, const char *name, LadeError **err)
{
        int r = target_db(c, t, err);
        if (r >= 0)
                r = ctr_load(t, name, err);
        if (r == -ENOENT && err && *err) {
                /* dockerd: an invalid parameter, not a missing object (moby#39823) */
                (*err)->status = EINVAL;
                r = -EINVAL;
        }
        if (r < 0)
                return lade_error_wrap(err, "could not get container for %s", name);
        for (int hop = 0; startswith(ctr_network_mode(t), "container:") && hop < LINK_NET_HOPS; hop++) {
                _cleanup_free_ char *next = xstrdup(ctr_network_mode(t) + strlen("container:"));
                ctr_done(t);
                if ((r = target_db(c, t, err)) < 0 || (r = ctr_load(t, next, err)) < 0)
                        return lade_error_wrap(err, "Could not get container for %s", next);
        }
        if (streq(ctr_network_mode(t), "host"))
                return lade_error_msg(err, EINVAL, "conflicting options: host type networking can't be used "
                                      "with links. This would result in undefined behavior");
        return 0;
}

int ctr_links_check(Ctr *c, LadeError **err)
{
        json_t *links = NULL, *l;
        size_t i;
        int r = links_of(c, &links, err);
        if (r < 0)
                return r;
        const char *mode = ctr_network_mode(c);
        if (user_defined(mode) && (json_array_size(links) > 0 || endpoint_links(c)))
                return lade_error_msg(err, ENOTSUP, "links on a user-defined network (%s) are not supported "
                                      "by lade: use --network-alias on the linked container", mode);
        json_array_foreach(links, i, l) {
                _cleanup_free_ char *name = NULL, *alias = NULL;
                if (!json_is_string(l))
                        return lade_error_msg(err, EINVAL, "HostConfig.Links[%zu]: expected a string", i);
                Ctr t;
                r = parse_link(json_string_value(l), &name, &alias, err);
                if (r < 0)
                        return r;
                r = load_target(c, &t, name, err);
                ctr_done(&t);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *link_line(Ctr *c, Ctr *t, const char *alias, LadeError **err)
{
        json_t *bridge = json_object_get(json_object_get(t->net, "Networks"), "bridge");
        const char *ip = json_string_value(json_object_get(bridge, "IPAddress"));
        if (!t->state || !streq(t->state, "running")) {
                (void) lade_error_msg(err, EINVAL, "Cannot link to a non running container: /%s AS /%s/%s", t->name,
                               c->name, alias);
                return NULL;
        }
        if (!ip || !*ip) {
                (void) lade_error_msg(err, EINVAL, "Cannot link to /%s, as it does not belong to the default network",
                               t->name);
                return NULL;
        }
        const char *h = json_string_value(json_object_get(t->create, "Hostname"));
        _cleanup_free_ char *host = h && *h ? xstrdup(h) : xstrndup(t->id, 12);
        bool same = streq(alias, t->name);
        return xasprintf("%s\t%s %s%s%s\n", ip, alias, host, same ? "" : " ", same ? "" : t->name);
}

int ctr_links_hosts(Ctr *c, LadeError **err)
{
        json_t *links = NULL, *l;
        size_t i;
        int r = links_of(c, &links, err);
        if (r < 0 || json_array_size(links) == 0 || !streq(ctr_network_mode(c), "bridge"))
                return r;
        _cleanup_free_ char *text = xstrdup(""), *path = xasprintf("%s/hosts", c->dir);
        json_array_foreach(links, i, l) {
                _cleanup_free_ char *name = NULL, *alias = NULL;
                Ctr t;
                r = parse_link(json_string_value(l) ?: "", &name, &alias, err);
                if (r < 0)
                        return r;
                r = load_target(c, &t, name, err);
                if (r >= 0)
                        ctr_reconcile(&t);
                char *line = r >= 0 ? link_line(c, &t, alias, err) : NULL;
                ctr_done(&t);
                if (!line)
                        return r < 0 ? r : -EINVAL;
                char *n = xasprintf("%s%s", text, line);
                free(line);
                free(text);
                text = n;
        }
        /* appended in place: the file is bind-mounted, its inode must stay */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open '%s'", path);
        r = write_all(fd, text, strlen(text));
        return r < 0 ? lade_error(err, -r, "write '%s'", path) : 0;
}
