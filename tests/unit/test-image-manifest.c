/* Manifests, indexes and image configs: real-world documents (Docker Hub's busybox in its
 * schema2 list, manifest and config forms; a BuildKit OCI index with attestation manifests; an
 * OCI manifest with annotations), a table of invalid documents with the field path each error
 * must name, and platform parsing and selection with containerd's preference order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "manifest.h"
#include "util.h"

#define D0 "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9"
#define D1 "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define D2 "sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
#define D3 "sha256:4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
#define D4 "sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"
#define D5 "sha256:ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d"
#define D6 "sha256:e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683"
#define D7 "sha256:7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da49081b2451"
#define D8 "sha256:2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3"
#define D9 "sha256:19581e27de7ced00ff1ce50b2047e7a567c76b1cbaebabe5ef03f7c3017bb5b7"

/* Docker Hub's busybox:latest manifest list (Docker schema2 list, 2023), as served with
 * Content-Type application/vnd.docker.distribution.manifest.list.v2+json. */
static const char busybox_list[] =
        "{\n"
        "  \"manifests\": [\n"
        "    {\"digest\": \"sha256:5cd3db04b8be5773388576a83177aff4f40a03457a63855f4b9cbe30542b9a43\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}, \"size\": 528},\n"
        "    {\"digest\": \"sha256:e5785cb0c62cebbed4965129bae371f0589cadd6d84798fb58c2c5f9e237efd9\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v5\"},\n"
        "     \"size\": 527},\n"
        "    {\"digest\": \"" D1 "\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v6\"},\n"
        "     \"size\": 527},\n"
        "    {\"digest\": \"sha256:50b8560ad574c779908da71f7ce370c0a2471c098d44d1c8f6b513c5a55eeeb1\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v7\"},\n"
        "     \"size\": 527},\n"
        "    {\"digest\": \"sha256:963612c5503f3f1674f315c67089dee577d8cc6afc18565e0b4183ae355fb343\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\"},\n"
        "     \"size\": 527},\n"
        "    {\"digest\": \"sha256:85dc5fbe16214366748ebe9d7cc73bc42d61d19d61fe05f01e317d278c2287ed\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"386\", \"os\": \"linux\"}, \"size\": 527},\n"
        "    {\"digest\": \"sha256:1072145f8eea186dcedb6b377b9969d121a00e65ae6c20e9cd631483178ea7ed\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"mips64le\", \"os\": \"linux\"}, \"size\": 527},\n"
        "    {\"digest\": \"sha256:8aaea2a718a29334caeaf225716284ce29dc17418edba98dbe6dafea5afcda16\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"ppc64le\", \"os\": \"linux\"}, \"size\": 528},\n"
        "    {\"digest\": \"sha256:9c389f10c2b192dd01e87188c7cf1591dc830370046085190dd3ecfdaa1f2cfb\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"riscv64\", \"os\": \"linux\"}, \"size\": 527},\n"
        "    {\"digest\": \"sha256:577ad4331d4fac91807308da99ecc107dcc6b2254bc4c7166325fd01113bea2a\",\n"
        "     \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "     \"platform\": {\"architecture\": \"s390x\", \"os\": \"linux\"}, \"size\": 528}\n"
        "  ],\n"
        "  \"mediaType\": \"application/vnd.docker.distribution.manifest.list.v2+json\",\n"
        "  \"schemaVersion\": 2\n"
        "}\n";

/* An OCI index as BuildKit pushes it (docker-library images since 2023): every image is
 * followed by its provenance/SBOM attestation manifest, platform unknown/unknown. The first
 * entry here is an attestation, to prove position does not make it selectable. */
static const char buildkit_index[] =
        "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
        " \"manifests\": [\n"
        "  {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 566,\n"
        "   \"digest\": \"" D0 "\",\n"
        "   \"platform\": {\"architecture\": \"unknown\", \"os\": \"unknown\"},\n"
        "   \"annotations\": {\"vnd.docker.reference.digest\": \"" D1 "\",\n"
        "                   \"vnd.docker.reference.type\": \"attestation-manifest\"}},\n"
        "  {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 3573,\n"
        "   \"digest\": \"" D1 "\",\n"
        "   \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"},\n"
        "   \"annotations\": {\n"
        "     \"org.opencontainers.image.base.name\": \"debian:bookworm-slim\",\n"
        "     \"org.opencontainers.image.created\": \"2024-02-02T10:48:27Z\",\n"
        "     \"org.opencontainers.image.version\": \"16.1\"}},\n"
        "  {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 3573,\n"
        "   \"digest\": \"" D2 "\",\n"
        "   \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\"}},\n"
        "  {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 567,\n"
        "   \"digest\": \"" D3 "\",\n"
        "   \"platform\": {\"architecture\": \"unknown\", \"os\": \"unknown\"},\n"
        "   \"annotations\": {\"vnd.docker.reference.digest\": \"" D2 "\",\n"
        "                   \"vnd.docker.reference.type\": \"attestation-manifest\"}},\n"
        "  {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 3573,\n"
        "   \"digest\": \"" D4 "\",\n"
        "   \"platform\": {\"architecture\": \"ppc64le\", \"os\": \"linux\"}}\n"
        " ],\n"
        " \"annotations\": {\"org.opencontainers.image.ref.name\": \"16.1\"}\n"
        "}";

/* Docker Hub's busybox:latest amd64 manifest (schema2). */
static const char busybox_manifest[] =
        "{\n"
        "   \"schemaVersion\": 2,\n"
        "   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "   \"config\": {\n"
        "      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
        "      \"size\": 1457,\n"
        "      \"digest\": "
        "\"sha256:8135583d97feb82398909c9c97607159e6db2c4ca2c885c0b8f590ee0f9fe90d\"\n"
        "   },\n"
        "   \"layers\": [\n"
        "      {\n"
        "         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
        "         \"size\": 2591575,\n"
        "         \"digest\": "
        "\"sha256:325d69979d33f72bfd1d30d420b8ec7f130919916fd02238ba23e4a22d753ed8\"\n"
        "      }\n"
        "   ]\n"
        "}";

/* An OCI manifest as BuildKit writes it with --annotation, plus a zstd layer and a
 * nondistributable layer with urls; artifactType and subject are not ours to interpret. */
static const char oci_manifest[] =
        "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
        " \"artifactType\": \"application/vnd.example+type\",\n"
        " \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
        "            \"digest\": \"" D5 "\", \"size\": 7023},\n"
        " \"layers\": [\n"
        "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
        "   \"digest\": \"" D6 "\", \"size\": 32654},\n"
        "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\",\n"
        "   \"digest\": \"" D7 "\", \"size\": 16724,\n"
        "   \"annotations\": {\"org.opencontainers.image.title\": \"layer.tar.zst\"}},\n"
        "  {\"mediaType\": \"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\",\n"
        "   \"digest\": \"" D8 "\", \"size\": 73109,\n"
        "   \"urls\": [\"https://mcr.microsoft.com/v2/a/blobs/" D8 "\",\n"
        "            \"https://mirror.example.com/blob\"]}\n"
        " ],\n"
        " \"subject\": {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
        "             \"digest\": \"" D9 "\", \"size\": 1234},\n"
        " \"annotations\": {\"com.example.key1\": \"value1\",\n"
        "                 \"org.opencontainers.image.created\": \"2024-01-02T03:04:05Z\"}\n"
        "}";

/* Docker Hub's busybox:latest amd64 config: Docker writes nulls for what is unset. */
static const char busybox_config[] =
        "{\"architecture\":\"amd64\",\"config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\","
        "\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\"Tty\":false,"
        "\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:"
        "/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"sh\"],\"Image\":\"sha256:505de91dcca928e54367"
        "02f887bbd8b81be91e719b552fb5c64e34234d22ac86\",\"Volumes\":null,\"WorkingDir\":\"\","
        "\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":null},\"container\":\"ffeefc40361ae173c8c4"
        "a1c2bad0f899f4de97601938eab16b5d019bdf2fa5f3\",\"container_config\":{\"Hostname\":"
        "\"ffeefc40361a\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\""
        ":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,"
        "\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":"
        "[\"/bin/sh\",\"-c\",\"#(nop) \",\"CMD [\\\"sh\\\"]\"],\"Image\":\"sha256:505de91dcca928e5"
        "436702f887bbd8b81be91e719b552fb5c64e34234d22ac86\",\"Volumes\":null,\"WorkingDir\":\"\","
        "\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{}},\"created\":\"2023-05-19T20:19:22.7513"
        "98522Z\",\"docker_version\":\"20.10.23\",\"history\":[{\"created\":\"2023-05-19T20:19:22.64"
        "2507645Z\",\"created_by\":\"/bin/sh -c #(nop) ADD file:cfd4bc7e9470d1298c9d4143538a77aa9a"
        "edd74f96aa5a3262cf8714c6fc3ec6 in / \"},{\"created\":\"2023-05-19T20:19:22.751398522Z\","
        "\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"sh\\\"]\",\"empty_layer\":true}],\"os\":"
        "\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:9547b4c33213e630a0ca602a"
        "989ecc094e042146ae8afa502e1e65af6473db03\"]}}";

/* Everything an image config can carry that lade reads (a Dockerfile with EXPOSE, VOLUME,
 * LABEL, HEALTHCHECK, SHELL, ONBUILD, STOPSIGNAL, USER, WORKDIR and a string ENTRYPOINT). */
static const char full_config[] =
        "{\"architecture\": \"arm64\", \"variant\": \"v8\", \"os\": \"linux\",\n"
        " \"created\": \"2024-03-01T00:00:00Z\", \"author\": \"Jane <jane@example.com>\",\n"
        " \"os.version\": \"\", \"unknown-key\": {\"x\": [1, 2]},\n"
        " \"config\": {\n"
        "   \"User\": \"1000:1000\", \"WorkingDir\": \"/srv\", \"StopSignal\": \"SIGQUIT\",\n"
        "   \"Env\": [\"PATH=/usr/bin\", \"LANG=C.UTF-8\"],\n"
        "   \"Entrypoint\": \"/entrypoint.sh\",\n"
        "   \"ExposedPorts\": {\"80/tcp\": {}, \"53/udp\": {}},\n"
        "   \"Volumes\": {\"/data\": {}},\n"
        "   \"Labels\": {\"maintainer\": \"jane\", \"empty\": null},\n"
        "   \"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"],\n"
        "                   \"Interval\": 300000000000, \"Timeout\": 3000000000, \"Retries\": 3},\n"
        "   \"OnBuild\": [\"RUN echo child\"],\n"
        "   \"Shell\": [\"/bin/bash\", \"-c\"],\n"
        "   \"ArgsEscaped\": true\n"
        " },\n"
        " \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"" D1 "\", \"" D2 "\"]},\n"
        " \"history\": [{\"created_by\": \"ADD rootfs.tar /\", \"comment\": \"buildkit\"},\n"
        "             {\"created_by\": \"EXPOSE 80\", \"empty_layer\": true, \"author\": null}]\n"
        "}";

/* ---- helpers ---- */

static Manifest *parse_ok(const char *doc, const char *content_type)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Manifest *m = NULL;
        int r = manifest_parse(doc, strlen(doc), content_type, &m, &err);
        if (r < 0)
                print_message("unexpected error: %s\n", lade_error_message(err));
        assert_int_equal(r, 0);
        assert_null(err);
        assert_non_null(m);
        assert_non_null(m->raw);
        return m;
}

static ImageConfig *config_ok(const char *doc)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        ImageConfig *c = NULL;
        int r = image_config_parse(doc, strlen(doc), &c, &err);
        if (r < 0)
                print_message("unexpected error: %s\n", lade_error_message(err));
        assert_int_equal(r, 0);
        assert_non_null(c);
        return c;
}

static void check_descriptor(const Descriptor *d, const char *media_type, const char *digest,
                             int64_t size)
{
        assert_string_equal(d->media_type, media_type);
        assert_string_equal(d->digest, digest);
        assert_int_equal(d->size, size);
}

static void check_platform(const Platform *p, const char *os, const char *arch,
                           const char *variant)
{
        assert_non_null(p);
        assert_string_equal(p->os, os);
        assert_string_equal(p->architecture, arch);
        if (variant)
                assert_string_equal(p->variant, variant);
        else
                assert_null(p->variant);
}

/* ---- valid documents ---- */

static void test_busybox_list(void **state)
{
        static const char *const ct[] = { MEDIA_DOCKER_LIST, NULL, "application/json",
                                          MEDIA_DOCKER_LIST "; charset=utf-8" };
        for (size_t i = 0; i < ELEMENTSOF(ct); i++) {
                _cleanup_(manifest_freep) Manifest *m = parse_ok(busybox_list, ct[i]);
                assert_int_equal(m->kind, MANIFEST_KIND_INDEX);
                assert_string_equal(m->media_type, MEDIA_DOCKER_LIST);
                assert_int_equal(m->schema_version, 2);
                assert_int_equal(m->n_manifests, 10);
                assert_null(m->layers);
                assert_null(m->annotations);
                check_descriptor(&m->manifests[0], MEDIA_DOCKER_MANIFEST,
                                 "sha256:5cd3db04b8be5773388576a83177aff4f40a03457a63855f4b9cbe30"
                                 "542b9a43", 528);
                check_platform(m->manifests[0].platform, "linux", "amd64", NULL);
                check_platform(m->manifests[1].platform, "linux", "arm", "v5");
                check_platform(m->manifests[3].platform, "linux", "arm", "v7");
                check_platform(m->manifests[4].platform, "linux", "arm64", "v8");
                check_platform(m->manifests[9].platform, "linux", "s390x", NULL);
                assert_null(m->manifests[9].platform->os_version);
                assert_null(m->manifests[9].urls);
                assert_null(m->manifests[9].annotations);
        }
}

static void test_buildkit_index(void **state)
{
        _cleanup_(manifest_freep) Manifest *m = parse_ok(buildkit_index, MEDIA_OCI_INDEX);
        assert_int_equal(m->kind, MANIFEST_KIND_INDEX);
        assert_string_equal(m->media_type, MEDIA_OCI_INDEX);
        assert_int_equal(m->n_manifests, 5);
        check_descriptor(&m->manifests[0], MEDIA_OCI_MANIFEST, D0, 566);
        check_platform(m->manifests[0].platform, "unknown", "unknown", NULL);
        assert_string_equal(json_string_value(json_object_get(m->manifests[0].annotations,
                                                              "vnd.docker.reference.type")),
                            "attestation-manifest");
        assert_int_equal(json_object_size(m->manifests[1].annotations), 3);
        assert_string_equal(json_string_value(json_object_get(m->manifests[1].annotations,
                                                              "org.opencontainers.image.version")),
                            "16.1");
        assert_string_equal(json_string_value(json_object_get(m->annotations,
                                                              "org.opencontainers.image.ref.name")),
                            "16.1");
}

static void test_busybox_manifest(void **state)
{
        _cleanup_(manifest_freep) Manifest *m = parse_ok(busybox_manifest, MEDIA_DOCKER_MANIFEST);
        assert_int_equal(m->kind, MANIFEST_KIND_IMAGE);
        assert_string_equal(m->media_type, MEDIA_DOCKER_MANIFEST);
        assert_int_equal(m->schema_version, 2);
        check_descriptor(&m->config, MEDIA_DOCKER_CONFIG,
                         "sha256:8135583d97feb82398909c9c97607159e6db2c4ca2c885c0b8f590ee0f9fe90d",
                         1457);
        assert_null(m->config.platform);
        assert_int_equal(m->n_layers, 1);
        check_descriptor(&m->layers[0], MEDIA_DOCKER_LAYER,
                         "sha256:325d69979d33f72bfd1d30d420b8ec7f130919916fd02238ba23e4a22d753ed8",
                         2591575);
        assert_int_equal(layer_media_compression(m->layers[0].media_type), 1);
        assert_null(m->manifests);
        assert_int_equal(m->n_manifests, 0);
}

static void test_oci_manifest(void **state)
{
        _cleanup_(manifest_freep) Manifest *m = parse_ok(oci_manifest, NULL);
        assert_int_equal(m->kind, MANIFEST_KIND_IMAGE);
        assert_string_equal(m->media_type, MEDIA_OCI_MANIFEST);
        check_descriptor(&m->config, MEDIA_OCI_CONFIG, D5, 7023);
        assert_int_equal(m->n_layers, 3);
        check_descriptor(&m->layers[0], MEDIA_OCI_LAYER_GZIP, D6, 32654);
        check_descriptor(&m->layers[1], MEDIA_OCI_LAYER_ZSTD, D7, 16724);
        assert_string_equal(json_string_value(json_object_get(m->layers[1].annotations,
                                                              "org.opencontainers.image.title")),
                            "layer.tar.zst");
        check_descriptor(&m->layers[2], MEDIA_OCI_NONDIST_LAYER_GZIP, D8, 73109);
        assert_int_equal(strv_length(m->layers[2].urls), 2);
        assert_string_equal(m->layers[2].urls[1], "https://mirror.example.com/blob");
        assert_int_equal(json_object_size(m->annotations), 2);
        assert_string_equal(json_string_value(json_object_get(m->annotations, "com.example.key1")),
                            "value1");
        assert_int_equal(layer_media_compression(m->layers[1].media_type), 2);
}

static void test_busybox_config(void **state)
{
        _cleanup_(image_config_freep) ImageConfig *c = config_ok(busybox_config);
        assert_string_equal(c->architecture, "amd64");
        assert_string_equal(c->os, "linux");
        assert_null(c->variant);
        assert_null(c->author);
        assert_string_equal(c->created, "2023-05-19T20:19:22.751398522Z");
        assert_string_equal(c->user, "");
        assert_string_equal(c->working_dir, "");
        assert_int_equal(strv_length(c->env), 1);
        assert_string_equal(c->env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assert_true(c->cmd_set);
        assert_int_equal(strv_length(c->cmd), 1);
        assert_string_equal(c->cmd[0], "sh");
        /* "Entrypoint": null is present: set, but no value */
        assert_true(c->entrypoint_set);
        assert_null(c->entrypoint);
        assert_null(c->volumes);
        assert_null(c->on_build);
        assert_null(c->labels);
        assert_null(c->healthcheck);
        assert_null(c->exposed_ports);
        assert_null(c->shell);
        assert_null(c->stop_signal);
        assert_int_equal(strv_length(c->diff_ids), 1);
        assert_string_equal(c->diff_ids[0],
                            "sha256:9547b4c33213e630a0ca602a989ecc094e042146ae8afa502e1e65af6473db03");
        assert_int_equal(c->n_history, 2);
        assert_string_equal(c->history[0].created, "2023-05-19T20:19:22.642507645Z");
        assert_false(c->history[0].empty_layer);
        assert_string_equal(c->history[1].created_by, "/bin/sh -c #(nop)  CMD [\"sh\"]");
        assert_true(c->history[1].empty_layer);
        assert_null(c->history[1].comment);
        assert_non_null(c->raw);
}

static void test_full_config(void **state)
{
        _cleanup_(image_config_freep) ImageConfig *c = config_ok(full_config);
        assert_string_equal(c->architecture, "arm64");
        assert_string_equal(c->variant, "v8");
        assert_string_equal(c->author, "Jane <jane@example.com>");
        assert_string_equal(c->user, "1000:1000");
        assert_string_equal(c->working_dir, "/srv");
        assert_string_equal(c->stop_signal, "SIGQUIT");
        assert_int_equal(strv_length(c->env), 2);
        /* a string Entrypoint is Docker's strslice of one */
        assert_true(c->entrypoint_set);
        assert_int_equal(strv_length(c->entrypoint), 1);
        assert_string_equal(c->entrypoint[0], "/entrypoint.sh");
        assert_false(c->cmd_set);
        assert_null(c->cmd);
        assert_int_equal(strv_length(c->exposed_ports), 2);
        assert_string_equal(c->exposed_ports[0], "80/tcp");
        assert_string_equal(c->exposed_ports[1], "53/udp");
        assert_int_equal(strv_length(c->volumes), 1);
        assert_string_equal(c->volumes[0], "/data");
        assert_string_equal(json_string_value(json_object_get(c->labels, "maintainer")), "jane");
        assert_string_equal(json_string_value(json_object_get(c->labels, "empty")), "");
        assert_int_equal(json_integer_value(json_object_get(c->healthcheck, "Retries")), 3);
        assert_int_equal(strv_length(c->on_build), 1);
        assert_int_equal(strv_length(c->shell), 2);
        assert_string_equal(c->shell[1], "-c");
        assert_int_equal(strv_length(c->diff_ids), 2);
        assert_int_equal(c->n_history, 2);
        assert_string_equal(c->history[0].comment, "buildkit");
        assert_null(c->history[1].author);
        assert_true(c->history[1].empty_layer);
}

static void test_config_minimal(void **state)
{
        /* Docker omits diff_ids for a FROM scratch image without layers; [] empties Cmd */
        _cleanup_(image_config_freep) ImageConfig *c =
                config_ok("{\"rootfs\": {\"type\": \"layers\"}, \"config\": {\"Cmd\": []}}");
        assert_null(c->architecture);
        assert_null(c->diff_ids);
        assert_int_equal(c->n_history, 0);
        assert_true(c->cmd_set);
        assert_non_null(c->cmd);
        assert_int_equal(strv_length(c->cmd), 0);
        assert_false(c->entrypoint_set);
}

/* Where the kind comes from: document, Content-Type, or shape. */
static void test_media_type_sources(void **state)
{
        static const struct {
                const char *doc, *content_type;
                ManifestKind kind;
                const char *media_type;
        } cases[] = {
                /* shape only */
                { "{\"schemaVersion\":2,\"manifests\":[]}", NULL, MANIFEST_KIND_INDEX,
                  MEDIA_OCI_INDEX },
                { "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\","
                  "\"size\":1},\"layers\":[]}", "text/plain", MANIFEST_KIND_IMAGE,
                  MEDIA_OCI_MANIFEST },
                /* the Content-Type when the document has none; parameters and case ignored */
                { "{\"schemaVersion\":2,\"manifests\":[]}", " Application/VND.docker."
                  "distribution.manifest.list.v2+json ; charset=utf-8", MANIFEST_KIND_INDEX,
                  MEDIA_DOCKER_LIST },
                { "{\"schemaVersion\":2,\"manifests\":null,\"config\":{\"mediaType\":\"a/b\","
                  "\"digest\":\"" D1 "\",\"size\":0},\"layers\":[]}", MEDIA_DOCKER_MANIFEST,
                  MANIFEST_KIND_IMAGE, MEDIA_DOCKER_MANIFEST },
                /* the document, agreeing with the transport in any case */
                { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"manifests\":[]}",
                  "application/VND.OCI.image.index.v1+json", MANIFEST_KIND_INDEX,
                  MEDIA_OCI_INDEX },
                { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"manifests\":[]}",
                  "application/octet-stream", MANIFEST_KIND_INDEX, MEDIA_OCI_INDEX },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(manifest_freep) Manifest *m = parse_ok(cases[i].doc,
                                                                 cases[i].content_type);
                assert_int_equal(m->kind, cases[i].kind);
                assert_string_equal(m->media_type, cases[i].media_type);
                assert_int_equal(m->n_manifests, 0);
                assert_null(m->manifests);
        }
}

static void test_kind_from_media_type(void **state)
{
        assert_int_equal(manifest_kind_from_media_type(MEDIA_DOCKER_MANIFEST), MANIFEST_KIND_IMAGE);
        assert_int_equal(manifest_kind_from_media_type(MEDIA_OCI_MANIFEST), MANIFEST_KIND_IMAGE);
        assert_int_equal(manifest_kind_from_media_type(MEDIA_DOCKER_LIST), MANIFEST_KIND_INDEX);
        assert_int_equal(manifest_kind_from_media_type(MEDIA_OCI_INDEX), MANIFEST_KIND_INDEX);
        assert_int_equal(manifest_kind_from_media_type(MEDIA_DOCKER_SCHEMA1),
                         _MANIFEST_KIND_INVALID);
        assert_int_equal(manifest_kind_from_media_type(MEDIA_OCI_CONFIG), _MANIFEST_KIND_INVALID);
        assert_int_equal(manifest_kind_from_media_type(NULL), _MANIFEST_KIND_INVALID);
}

/* ---- invalid documents ---- */

#define LAYER(d) "{\"mediaType\":\"" MEDIA_OCI_LAYER_GZIP "\",\"digest\":\"" d "\",\"size\":1}"
#define CONFIG_DESC "{\"mediaType\":\"" MEDIA_OCI_CONFIG "\",\"digest\":\"" D0 "\",\"size\":2}"
#define OCI_IMAGE(config, layers)                                                             \
        "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"config\":" config    \
        ",\"layers\":" layers "}"
#define OCI_INDEX(manifests)                                                                  \
        "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"manifests\":" manifests "}"
#define ENTRY(platform)                                                                       \
        "{\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":9"          \
        ",\"platform\":" platform "}"
#define E_SCHEMA1 "manifest: schema 1 manifests are not supported"

typedef struct InvalidCase {
        const char *doc, *content_type, *error;
        bool prefix; /* error is only the start of the message */
} InvalidCase;

static const InvalidCase invalid_manifests[] = {
        /* the example of the header, and digests in general */
        { OCI_IMAGE(CONFIG_DESC, "[" LAYER(D1) "," LAYER(D2) "," LAYER("sha256:xyz") "]"), NULL,
          "manifest: layers[2].digest: invalid digest 'sha256:xyz'" },
        { OCI_IMAGE("{\"mediaType\":\"a/b\",\"digest\":\"md5:abc\",\"size\":1}", "[]"), NULL,
          "manifest: config.digest: invalid digest 'md5:abc'" },
        { OCI_IMAGE(CONFIG_DESC, "[" LAYER("sha256:\\u001b[31mred") "]"), NULL,
          "manifest: layers[0].digest: invalid digest 'sha256:?[31mred'" },
        { OCI_IMAGE(CONFIG_DESC, "[" LAYER("SHA256:5FECEB66FFC86F38D952786C6D696C79C2DBC239DD4E"
                                           "91B46729D73A27FB57E9") "]"), NULL,
          "manifest: layers[0].digest: invalid digest 'SHA256:5FECEB66FFC86F38D952786C6D696C79C2"
          "DBC239DD4E91B46729D73A27FB57E9'" },
        { OCI_INDEX("[" ENTRY("{\"os\":\"linux\",\"architecture\":\"amd64\"}") ","
                    "{\"mediaType\":\"a/b\",\"size\":1}]"), NULL,
          "manifest: manifests[1].digest: required" },
        /* schema 1, by any of its signs */
        { "{\"schemaVersion\":1,\"mediaType\":\"" MEDIA_DOCKER_SCHEMA1 "\",\"name\":\"x\"}", NULL,
          E_SCHEMA1 },
        { "{\"schemaVersion\":1,\"name\":\"library/busybox\",\"tag\":\"latest\","
          "\"fsLayers\":[],\"signatures\":[]}", MEDIA_DOCKER_SCHEMA1_SIGNED, E_SCHEMA1 },
        { "{\"schemaVersion\":1,\"name\":\"library/busybox\",\"fsLayers\":[]}", NULL, E_SCHEMA1 },
        { "{\"schemaVersion\":1,\"fsLayers\":[]}", "application/json", E_SCHEMA1 },
        /* schemaVersion */
        { "{\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"manifests\":[]}", NULL,
          "manifest: schemaVersion: required" },
        { "{\"schemaVersion\":3,\"manifests\":[]}", NULL,
          "manifest: schemaVersion: expected 2, got 3" },
        { "{\"schemaVersion\":\"2\",\"manifests\":[]}", NULL,
          "manifest: schemaVersion: expected an integer, got a string" },
        { "{\"schemaVersion\":2.0,\"manifests\":[]}", NULL,
          "manifest: schemaVersion: expected an integer, got a real number" },
        /* media types: the document against the transport, unknown types, no clue at all */
        { OCI_IMAGE(CONFIG_DESC, "[]"), MEDIA_OCI_INDEX,
          "manifest: mediaType: '" MEDIA_OCI_MANIFEST "' does not match the Content-Type '"
          MEDIA_OCI_INDEX "'" },
        { OCI_IMAGE(CONFIG_DESC, "[]"), MEDIA_DOCKER_MANIFEST,
          "manifest: mediaType: '" MEDIA_OCI_MANIFEST "' does not match the Content-Type '"
          MEDIA_DOCKER_MANIFEST "'" },
        { "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\","
          "\"blobs\":[]}", NULL,
          "manifest: mediaType: unsupported manifest media type "
          "'application/vnd.oci.artifact.manifest.v1+json'" },
        { "{\"schemaVersion\":2,\"manifests\":[]}", "application/x-foo",
          "manifest: unsupported Content-Type 'application/x-foo'" },
        { "{\"schemaVersion\":2,\"mediaType\":7,\"manifests\":[]}", NULL,
          "manifest: mediaType: expected a string, got an integer" },
        { "{\"schemaVersion\":2,\"config\":{}}", NULL, "manifest: unknown document: ", true },
        /* members of the other kind: one digest must not be readable as two things */
        { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"config\":" CONFIG_DESC
          ",\"layers\":[],\"manifests\":[]}", NULL,
          "manifest: manifests: not allowed in an image manifest" },
        { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_LIST "\",\"manifests\":[],"
          "\"layers\":[]}", NULL, "manifest: layers: not allowed in an index" },
        { "{\"schemaVersion\":2,\"manifests\":[],\"config\":" CONFIG_DESC ",\"layers\":[]}", NULL,
          "manifest: config: not allowed in an index" },
        /* structure */
        { "[]", NULL, "manifest: expected an object, got an array" },
        { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"layers\":[]}", NULL,
          "manifest: config: required" },
        { OCI_IMAGE("[]", "[]"), NULL, "manifest: config: expected an object, got an array" },
        { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"config\":" CONFIG_DESC
          "}", NULL, "manifest: layers: required" },
        { OCI_IMAGE(CONFIG_DESC, "{}"), NULL, "manifest: layers: expected an array, got an object" },
        { OCI_IMAGE(CONFIG_DESC, "[" LAYER(D1) ",\"x\"]"), NULL,
          "manifest: layers[1]: expected an object, got a string" },
        { OCI_INDEX("{}"), NULL, "manifest: manifests: expected an array, got an object" },
        { "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\"}", NULL,
          "manifest: manifests: required" },
        /* descriptor members */
        { OCI_IMAGE("{\"digest\":\"" D0 "\",\"size\":2}", "[]"), NULL,
          "manifest: config.mediaType: required" },
        { OCI_IMAGE("{\"mediaType\":\"\",\"digest\":\"" D0 "\",\"size\":2}", "[]"), NULL,
          "manifest: config.mediaType: must not be empty" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":5,\"digest\":\"" D1 "\",\"size\":1}]"), NULL,
          "manifest: layers[0].mediaType: expected a string, got an integer" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":18446744073709551615,\"digest\":\"" D1 "\","
                                 "\"size\":1}]"), NULL,
          "manifest: layers[0].mediaType: expected a string, got an integer" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":-1}]"),
          NULL, "manifest: layers[0].size: expected a non-negative integer, got -1" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1.5}]"),
          NULL, "manifest: layers[0].size: expected an integer, got a real number" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\","
                                 "\"size\":18446744073709551615}]"), NULL,
          "manifest: layers[0].size: integer 18446744073709551615 out of range" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\"}]"), NULL,
          "manifest: layers[0].size: required" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1,"
                                 "\"urls\":[\"https://a\",null]}]"), NULL,
          "manifest: layers[0].urls[1]: expected a string, got null" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1,"
                                 "\"urls\":\"https://a\"}]"), NULL,
          "manifest: layers[0].urls: expected an array, got a string" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1,"
                                 "\"annotations\":[]}]"), NULL,
          "manifest: layers[0].annotations: expected an object, got an array" },
        { OCI_IMAGE(CONFIG_DESC, "[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1,"
                                 "\"annotations\":{\"k\":true}}]"), NULL,
          "manifest: layers[0].annotations[\"k\"]: expected a string, got a boolean" },
        { "{\"schemaVersion\":2,\"manifests\":[],\"annotations\":{\"a\":1}}", NULL,
          "manifest: annotations[\"a\"]: expected a string, got an integer" },
        /* platforms of index entries */
        { OCI_INDEX("[" ENTRY("{\"os\":\"linux\",\"architecture\":\"amd64\"}") ","
                    ENTRY("{\"os\":\"linux\"}") "]"), NULL,
          "manifest: manifests[1].platform.architecture: required" },
        { OCI_INDEX("[" ENTRY("{\"os\":\"\",\"architecture\":\"amd64\"}") "]"), NULL,
          "manifest: manifests[0].platform.os: must not be empty" },
        { OCI_INDEX("[" ENTRY("\"linux/amd64\"") "]"), NULL,
          "manifest: manifests[0].platform: expected an object, got a string" },
        { OCI_INDEX("[" ENTRY("{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":7}") "]"),
          NULL, "manifest: manifests[0].platform.variant: expected a string, got an integer" },
        { OCI_INDEX("[" ENTRY("{\"os\":\"windows\",\"architecture\":\"amd64\","
                              "\"os.version\":10}") "]"), NULL,
          "manifest: manifests[0].platform.os.version: expected a string, got an integer" },
        /* JSON itself */
        { "{\"schemaVersion\":2,", NULL, "manifest: invalid JSON at line ", true },
        { "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}", NULL,
          "manifest: invalid JSON at line ", true },
        { "", NULL, "manifest: invalid JSON at line ", true },
        { "{\"schemaVersion\":2,\"manifests\":[],\"annotations\":{\"a\":\"x\\u0000y\"}}", NULL,
          "manifest: invalid JSON at line ", true },
};

static void check_error(int r, LadeError *err, const InvalidCase *c)
{
        if (r >= 0 || !err || (c->prefix ? !startswith(err->msg, c->error)
                                         : !streq(err->msg, c->error)))
                print_message("document: %s\nexpected: %s\n     got: %s\n", c->doc, c->error,
                              r < 0 ? lade_error_message(err) : "(success)");
        assert_int_equal(r, -EINVAL);
        assert_non_null(err);
        assert_int_equal(err->status, EINVAL);
        if (c->prefix)
                assert_true(startswith(err->msg, c->error));
        else
                assert_string_equal(err->msg, c->error);
}

static void test_invalid_manifests(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid_manifests); i++) {
                const InvalidCase *c = &invalid_manifests[i];
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                Manifest *m = NULL;
                int r = manifest_parse(c->doc, strlen(c->doc), c->content_type, &m, &err);
                check_error(r, err, c);
                assert_null(m);
        }
}

static const InvalidCase invalid_configs[] = {
        { "[1]", NULL, "image config: expected an object, got an array" },
        { "{}", NULL, "image config: rootfs: required" },
        { "{\"rootfs\":null}", NULL, "image config: rootfs: required" },
        { "{\"rootfs\":[]}", NULL, "image config: rootfs: expected an object, got an array" },
        { "{\"rootfs\":{}}", NULL, "image config: rootfs.type: required" },
        { "{\"rootfs\":{\"type\":\"tar\"}}", NULL,
          "image config: rootfs.type: expected 'layers', got 'tar'" },
        { "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"sha256:abc\"]}}", NULL,
          "image config: rootfs.diff_ids[1]: invalid digest 'sha256:abc'" },
        { "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":\"" D1 "\"}}", NULL,
          "image config: rootfs.diff_ids: expected an array, got a string" },
        { "{\"architecture\":5,\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: architecture: expected a string, got an integer" },
        { "{\"config\":[],\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config: expected an object, got an array" },
        { "{\"config\":{\"Env\":[\"A=1\",2]},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.Env[1]: expected a string, got an integer" },
        { "{\"config\":{\"Cmd\":{}},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.Cmd: expected an array, got an object" },
        { "{\"config\":{\"Entrypoint\":[\"sh\",[]]},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.Entrypoint[1]: expected a string, got an array" },
        { "{\"config\":{\"ExposedPorts\":[\"80/tcp\"]},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.ExposedPorts: expected an object, got an array" },
        { "{\"config\":{\"Volumes\":\"/data\"},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.Volumes: expected an object, got a string" },
        { "{\"config\":{\"Labels\":{\"a\":1}},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.Labels[\"a\"]: expected a string, got an integer" },
        { "{\"config\":{\"User\":0},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.User: expected a string, got an integer" },
        { "{\"config\":{\"Healthcheck\":[]},\"rootfs\":{\"type\":\"layers\"}}", NULL,
          "image config: config.Healthcheck: expected an object, got an array" },
        { "{\"config\":{\"Healthcheck\":{\"Interval\":\"5s\"}},\"rootfs\":{\"type\":\"layers\"}}",
          NULL, "image config: config.Healthcheck.Interval: expected an integer, got a string" },
        { "{\"config\":{\"Healthcheck\":{\"Test\":[\"CMD\",1]}},\"rootfs\":{\"type\":\"layers\"}}",
          NULL, "image config: config.Healthcheck.Test[1]: expected a string, got an integer" },
        { "{\"rootfs\":{\"type\":\"layers\"},\"history\":{}}", NULL,
          "image config: history: expected an array, got an object" },
        { "{\"rootfs\":{\"type\":\"layers\"},\"history\":[{},{\"empty_layer\":\"yes\"}]}", NULL,
          "image config: history[1].empty_layer: expected a boolean, got a string" },
        { "{\"rootfs\":{\"type\":\"layers\"},\"history\":[{},7]}", NULL,
          "image config: history[1]: expected an object, got an integer" },
        { "{\"rootfs\":", NULL, "image config: invalid JSON at line ", true },
};

static void test_invalid_configs(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid_configs); i++) {
                const InvalidCase *c = &invalid_configs[i];
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                ImageConfig *cfg = NULL;
                int r = image_config_parse(c->doc, strlen(c->doc), &cfg, &err);
                check_error(r, err, c);
                assert_null(cfg);
        }
}

/* A document with n layers (or n index entries). */
static char *many_entries(size_t n, bool index)
{
        size_t cap = 256 + n * 200, o = 0;
        char *s = xmalloc(cap);
        o += (size_t) snprintf(s, cap, index ? "{\"schemaVersion\":2,\"manifests\":[" :
                               "{\"schemaVersion\":2,\"config\":" CONFIG_DESC ",\"layers\":[");
        for (size_t i = 0; i < n; i++)
                o += (size_t) snprintf(s + o, cap - o, "%s%s", i ? "," : "",
                                       index ? ENTRY("{\"os\":\"linux\",\"architecture\":\"amd64\"}")
                                             : LAYER(D1));
        (void) snprintf(s + o, cap - o, "]}");
        return s;
}

static void test_limits(void **state)
{
        for (int index = 0; index <= 1; index++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_(manifest_freep) Manifest *m = NULL;
                _cleanup_free_ char *ok = many_entries(MANIFEST_MAX_ENTRIES, index);
                _cleanup_free_ char *bad = many_entries(MANIFEST_MAX_ENTRIES + 1, index);
                assert_int_equal(manifest_parse(ok, strlen(ok), NULL, &m, &err), 0);
                assert_int_equal(index ? m->n_manifests : m->n_layers, MANIFEST_MAX_ENTRIES);
                m = manifest_free(m);
                assert_int_equal(manifest_parse(bad, strlen(bad), NULL, &m, &err), -EINVAL);
                assert_string_equal(err->msg, index ? "manifest: manifests: more than 10000 entries"
                                                    : "manifest: layers: more than 10000 entries");
        }

        /* byte limits are checked before anything is parsed */
        _cleanup_free_ char *big = xmalloc(CONFIG_MAX_BYTES + 1);
        memset(big, ' ', CONFIG_MAX_BYTES + 1);
        _cleanup_(lade_error_freep) LadeError *e1 = NULL, *e2 = NULL;
        Manifest *m = NULL;
        ImageConfig *c = NULL;
        assert_int_equal(manifest_parse(big, MANIFEST_MAX_BYTES + 1, NULL, &m, &e1), -EFBIG);
        assert_string_equal(e1->msg, "manifest: 4194305 bytes, more than the limit of 4194304");
        assert_int_equal(image_config_parse(big, CONFIG_MAX_BYTES + 1, &c, &e2), -EFBIG);
        assert_true(startswith(e2->msg, "image config: 8388609 bytes"));
        assert_null(m);
        assert_null(c);
}

/* Errors are optional for callers that only want the code. */
static void test_null_err(void **state)
{
        Manifest *m = NULL;
        ImageConfig *c = NULL;
        assert_int_equal(manifest_parse("{}", 2, NULL, &m, NULL), -EINVAL);
        assert_int_equal(image_config_parse("{}", 2, &c, NULL), -EINVAL);
        assert_null(m);
        assert_null(c);
}

/* ---- platforms ---- */

static void test_platform_from_machine(void **state)
{
        static const struct {
                const char *machine, *arch, *variant;
        } cases[] = {
                { "x86_64", "amd64", NULL },      { "i686", "386", NULL },
                { "i386", "386", NULL },          { "aarch64", "arm64", "v8" },
                { "armv7l", "arm", "v7" },        { "armv6l", "arm", "v6" },
                { "armv5tel", "arm", "v5" },      { "armv8l", "arm", "v8" },
                { "ppc64le", "ppc64le", NULL },   { "s390x", "s390x", NULL },
                { "riscv64", "riscv64", NULL },   { "loongarch64", "loong64", NULL },
                { "mips64", "mips64", NULL },     { "sparc64", "sparc64", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Platform p;
                platform_from_machine(cases[i].machine, &p);
                check_platform(&p, "linux", cases[i].arch, cases[i].variant);
                platform_done(&p);
        }
}

static void test_platform_host(void **state)
{
        Platform p;
        platform_host(&p);
        assert_string_equal(p.os, "linux");
        assert_non_null(p.architecture);
#if defined(__x86_64__)
        assert_string_equal(p.architecture, "amd64");
        assert_null(p.variant);
#elif defined(__aarch64__)
        check_platform(&p, "linux", "arm64", "v8");
#endif
        _cleanup_free_ char *s = platform_format(&p);
        assert_true(startswith(s, "linux/"));
        platform_done(&p);
        platform_done(&p); /* idempotent */
}

static void test_platform_parse(void **state)
{
        static const struct {
                const char *in, *os, *arch, *variant, *formatted;
        } cases[] = {
                { "linux/arm64/v8", "linux", "arm64", "v8", "linux/arm64/v8" },
                { "linux/amd64", "linux", "amd64", NULL, "linux/amd64" },
                { "linux/arm/v6", "linux", "arm", "v6", "linux/arm/v6" },
                { "Linux/AMD64", "linux", "amd64", NULL, "linux/amd64" },
                { "linux/aarch64", "linux", "arm64", NULL, "linux/arm64" },
                { "linux/x86_64", "linux", "amd64", NULL, "linux/amd64" },
                { "linux/armhf", "linux", "arm", "v7", "linux/arm/v7" },
                { "linux/armel", "linux", "arm", "v6", "linux/arm/v6" },
                { "linux/i386", "linux", "386", NULL, "linux/386" },
                { "windows/amd64", "windows", "amd64", NULL, "windows/amd64" },
                { "macos/arm64", "darwin", "arm64", NULL, "darwin/arm64" },
                { "arm64", "linux", "arm64", NULL, "linux/arm64" },
                { "s390x", "linux", "s390x", NULL, "linux/s390x" },
                { "linux/riscv64", "linux", "riscv64", NULL, "linux/riscv64" },
                { "unknown/unknown", "unknown", "unknown", NULL, "unknown/unknown" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                Platform p;
                assert_int_equal(platform_parse(cases[i].in, &p, &err), 0);
                check_platform(&p, cases[i].os, cases[i].arch, cases[i].variant);
                _cleanup_free_ char *f = platform_format(&p);
                assert_string_equal(f, cases[i].formatted);
                platform_done(&p);
        }

        /* only the os: this host's architecture */
        Platform p, host;
        assert_int_equal(platform_parse("linux", &p, NULL), 0);
        platform_host(&host);
        check_platform(&p, "linux", host.architecture, host.variant);
        platform_done(&p);
        platform_done(&host);
}

static void test_platform_parse_invalid(void **state)
{
#define E_SHAPE(s) "invalid platform '" s "': expected os[/arch[/variant]] made of [A-Za-z0-9_.-]"
        static const struct {
                const char *in, *error;
        } cases[] = {
                { "", E_SHAPE("") },
                { "linux/", E_SHAPE("linux/") },
                { "/amd64", E_SHAPE("/amd64") },
                { "linux//v7", E_SHAPE("linux//v7") },
                { "linux/arm/v7/extra", E_SHAPE("linux/arm/v7/extra") },
                { "linux/amd 64", E_SHAPE("linux/amd 64") },
                { "linux/*", E_SHAPE("linux/*") },
                { "linux/\x1b[1m", E_SHAPE("linux/?[1m") },
                { "foo", "invalid platform 'foo': unknown operating system or architecture" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                Platform p = { .os = NULL };
                assert_int_equal(platform_parse(cases[i].in, &p, &err), -EINVAL);
                assert_string_equal(err->msg, cases[i].error);
                assert_null(p.os);
        }
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Platform p;
        assert_int_equal(platform_parse(NULL, &p, &err), -EINVAL);
        assert_string_equal(err->msg, E_SHAPE(""));
}

/* ---- platform selection ---- */

typedef struct SelectCase {
        const char *want;      /* platform_parse() input, or "os/arch/variant" literal below */
        int expected;          /* entry index, or -1 for no match */
} SelectCase;

static int select_index(const Manifest *m, const char *want, char **ret_msg)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        const Descriptor *d = NULL;
        Platform p;
        assert_int_equal(platform_parse(want, &p, NULL), 0);
        int r = manifest_select_platform(m, &p, &d, &err);
        platform_done(&p);
        if (r < 0) {
                assert_int_equal(r, -ENOENT);
                assert_null(d);
                if (ret_msg)
                        *ret_msg = xstrdup(err->msg);
                return -1;
        }
        assert_null(err);
        return (int) (d - m->manifests);
}

static void run_select_cases(const char *doc, const SelectCase *cases, size_t n)
{
        _cleanup_(manifest_freep) Manifest *m = parse_ok(doc, NULL);
        for (size_t i = 0; i < n; i++) {
                int got = select_index(m, cases[i].want, NULL);
                if (got != cases[i].expected)
                        print_message("want %s: expected entry %d, got %d\n", cases[i].want,
                                      cases[i].expected, got);
                assert_int_equal(got, cases[i].expected);
        }
}

static void test_select_busybox(void **state)
{
        static const SelectCase cases[] = {
                { "linux/amd64", 0 },     { "linux/arm/v5", 1 },     { "linux/arm/v6", 2 },
                { "linux/arm/v7", 3 },    { "linux/arm", 3 },        { "linux/armhf", 3 },
                { "linux/arm/v8", 3 },    { "linux/arm64", 4 },      { "linux/arm64/v8", 4 },
                { "linux/aarch64", 4 },   { "linux/arm64/v9", 4 },   { "linux/arm64/v8.2", 4 },
                { "linux/386", 5 },       { "linux/mips64le", 6 },   { "linux/ppc64le", 7 },
                { "linux/riscv64", 8 },   { "linux/s390x", 9 },      { "arm64", 4 },
                { "windows/amd64", -1 },  { "linux/mips64", -1 },    { "linux/arm64/v10", -1 },
        };
        run_select_cases(busybox_list, cases, ELEMENTSOF(cases));

        /* Docker's wording, naming the platform as asked */
        _cleanup_(manifest_freep) Manifest *m = parse_ok(busybox_list, NULL);
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(select_index(m, "windows/amd64", &msg), -1);
        assert_string_equal(msg, "no matching manifest for windows/amd64 in the manifest list "
                                 "entries");
}

static void test_select_attestations(void **state)
{
        static const SelectCase cases[] = {
                { "linux/amd64", 1 },     { "linux/arm64/v8", 2 },   { "linux/arm64", 2 },
                { "linux/ppc64le", 4 },   { "unknown/unknown", -1 }, { "linux/s390x", -1 },
                { "linux/arm/v7", -1 },
        };
        run_select_cases(buildkit_index, cases, ELEMENTSOF(cases));

        _cleanup_(manifest_freep) Manifest *m = parse_ok(buildkit_index, NULL);
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(select_index(m, "linux/s390x", &msg), -1);
        assert_string_equal(msg, "no matching manifest for linux/s390x in the manifest list "
                                 "entries");
}

#define P(os, arch) "{\"os\":\"" os "\",\"architecture\":\"" arch "\"}"
#define PV(os, arch, v) "{\"os\":\"" os "\",\"architecture\":\"" arch "\",\"variant\":\"" v "\"}"

static void test_select_amd64(void **state)
{
        static const SelectCase same[] = { { "linux/amd64", 0 } };
        /* equal candidates: the first in index order */
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "amd64")) "," ENTRY(P("linux", "amd64"))
                                   "]"), same, 1);
        /* exact beats 32-bit, whatever the order; 386 only when nothing better */
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "386")) "," ENTRY(P("linux", "amd64"))
                                   "]"), (SelectCase[]) { { "linux/amd64", 1 } }, 1);
        static const SelectCase only386[] = { { "linux/amd64", 0 }, { "linux/386", 0 } };
        run_select_cases(OCI_INDEX("[" ENTRY(P("windows", "amd64")) "," ENTRY(P("linux", "386"))
                                   "]"), (SelectCase[]) { { "linux/amd64", 1 } }, 1);
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "386")) "]"), only386, 2);
        /* spelled differently in the index: normalised before comparing */
        run_select_cases(OCI_INDEX("[" ENTRY(P("Linux", "x86_64")) "]"), same, 1);
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "amd64", "v1")) "]"), same, 1);
        /* microarchitecture levels: v3 runs v2 and v1 images, not the reverse */
        static const SelectCase levels[] = {
                { "linux/amd64/v3", 1 }, { "linux/amd64/v2", 1 }, { "linux/amd64", 0 },
                { "linux/amd64/v4", 2 },
        };
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "amd64")) ","
                                   ENTRY(PV("linux", "amd64", "v2")) ","
                                   ENTRY(PV("linux", "amd64", "v4")) "]"), levels,
                         ELEMENTSOF(levels));
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "amd64", "v3")) "]"),
                         (SelectCase[]) { { "linux/amd64", -1 }, { "linux/amd64/v4", 0 } }, 2);
}

static void test_select_arm64(void **state)
{
        /* v8 and no variant are the same platform: the first entry wins */
        static const SelectCase both[] = { { "linux/arm64/v8", 0 }, { "linux/arm64", 0 } };
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "arm64")) ","
                                   ENTRY(PV("linux", "arm64", "v8")) "]"), both, 2);
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm64", "v8")) ","
                                   ENTRY(P("linux", "arm64")) "]"), both, 2);
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "aarch64", "8")) "]"), both, 2);
        /* a 64-bit arm host runs 32-bit arm images, but prefers its own */
        static const SelectCase arm32[] = { { "linux/arm64", 1 }, { "linux/arm64/v8", 1 } };
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm", "v6")) ","
                                   ENTRY(PV("linux", "arm", "v7")) "]"), arm32, 2);
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm", "v7")) ","
                                   ENTRY(PV("linux", "arm64", "v8")) "]"),
                         (SelectCase[]) { { "linux/arm64", 1 } }, 1);
        /* v8.x: v8.2 runs v8.1 before v8; v8 does not run v8.2; v9 runs v8.5 */
        static const SelectCase minors[] = {
                { "linux/arm64/v8.2", 1 }, { "linux/arm64/v8", 2 }, { "linux/arm64/v9", 0 },
                { "linux/arm64/v9.0", 0 },
        };
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm64", "v8.5")) ","
                                   ENTRY(PV("linux", "arm64", "v8.1")) ","
                                   ENTRY(PV("linux", "arm64", "v8.0")) "]"), minors,
                         ELEMENTSOF(minors));
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm64", "v8.2")) "]"),
                         (SelectCase[]) { { "linux/arm64", -1 } }, 1);
}

static void test_select_arm(void **state)
{
        /* an arm v6 host cannot run v7 code */
        static const SelectCase v6host[] = { { "linux/arm/v6", -1 }, { "linux/arm/v5", -1 },
                                             { "linux/arm/v7", 0 },  { "linux/arm", 0 } };
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm", "v7")) "]"), v6host,
                         ELEMENTSOF(v6host));
        /* a v7 host runs v6 and v5, preferring the newest; an unnamed arm variant is v7 */
        static const SelectCase v7host[] = { { "linux/arm/v7", 1 }, { "linux/arm/v6", 1 },
                                             { "linux/arm/v5", 0 }, { "linux/arm/v8", 1 } };
        run_select_cases(OCI_INDEX("[" ENTRY(PV("linux", "arm", "v5")) ","
                                   ENTRY(PV("linux", "arm", "v6")) "]"), v7host,
                         ELEMENTSOF(v7host));
        static const SelectCase unnamed[] = { { "linux/arm/v7", 0 }, { "linux/arm/v6", -1 },
                                              { "linux/armhf", 0 }, { "linux/arm/v8", 0 } };
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "arm")) "]"), unnamed,
                         ELEMENTSOF(unnamed));
        run_select_cases(OCI_INDEX("[" ENTRY(P("linux", "armhf")) ","
                                   ENTRY(PV("linux", "arm", "7")) "]"),
                         (SelectCase[]) { { "linux/arm/v7", 0 } }, 1);

        _cleanup_(manifest_freep) Manifest *m =
                parse_ok(OCI_INDEX("[" ENTRY(PV("linux", "arm", "v7")) "]"), NULL);
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(select_index(m, "linux/arm/v6", &msg), -1);
        assert_string_equal(msg, "no matching manifest for linux/arm/v6 in the manifest list "
                                 "entries");
}

/* What is never picked: entries without a platform, attestations however labelled, and
 * anything when the document is not an index. */
static void test_select_skips(void **state)
{
        static const char no_platform[] =
                OCI_INDEX("[{\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"digest\":\"" D1 "\","
                          "\"size\":1}]");
        run_select_cases(no_platform, (SelectCase[]) { { "linux/amd64", -1 } }, 1);

        static const char labelled[] =
                OCI_INDEX("[{\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"digest\":\"" D1 "\","
                          "\"size\":1,\"platform\":" P("linux", "amd64") ",\"annotations\":"
                          "{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
                          ENTRY(P("linux", "amd64")) "]");
        run_select_cases(labelled, (SelectCase[]) { { "linux/amd64", 1 } }, 1);

        _cleanup_(manifest_freep) Manifest *m = parse_ok(busybox_manifest, NULL);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        const Descriptor *d = NULL;
        Platform p;
        platform_host(&p);
        assert_int_equal(manifest_select_platform(m, &p, &d, &err), -EINVAL);
        assert_null(d);
        platform_done(&p);
}

static void test_match_rank(void **state)
{
        static const struct {
                const char *want, *have;
                int rank;
        } cases[] = {
                { "linux/amd64", "linux/amd64", 0 },    { "linux/amd64", "linux/386", 1 },
                { "linux/arm64", "linux/arm64/v8", 0 }, { "linux/arm64", "linux/arm/v8", 1 },
                { "linux/arm64", "linux/arm/v7", 2 },   { "linux/arm64", "linux/arm/v5", 4 },
                { "linux/arm/v7", "linux/arm/v6", 1 },  { "linux/arm/v7", "linux/arm/v5", 2 },
                { "linux/arm/v6", "linux/arm/v7", -ENOENT },
                { "linux/386", "linux/amd64", -ENOENT },
                { "linux/amd64", "windows/amd64", -ENOENT },
                { "linux/ppc64le", "linux/ppc64le", 0 },
                { "linux/s390x", "linux/ppc64le", -ENOENT },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Platform want, have;
                assert_int_equal(platform_parse(cases[i].want, &want, NULL), 0);
                assert_int_equal(platform_parse(cases[i].have, &have, NULL), 0);
                assert_int_equal(platform_match_rank(&want, &have), cases[i].rank);
                platform_done(&want);
                platform_done(&have);
        }
}

static void test_layer_media_compression(void **state)
{
        static const struct {
                const char *media_type;
                int compression;
        } cases[] = {
                { MEDIA_DOCKER_LAYER, 1 },
                { MEDIA_DOCKER_FOREIGN_LAYER, 1 },
                { "application/vnd.docker.image.rootfs.diff.tar", 0 },
                { "application/vnd.docker.image.rootfs.foreign.diff.tar", 0 },
                { "application/vnd.docker.image.rootfs.diff.tar.zstd", 2 },
                { MEDIA_OCI_LAYER, 0 },
                { MEDIA_OCI_LAYER_GZIP, 1 },
                { MEDIA_OCI_LAYER_ZSTD, 2 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar", 0 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 1 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", 2 },
                { "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", -EINVAL },
                { "application/vnd.oci.image.layer.v1.tar+bzip2", -EINVAL },
                { MEDIA_OCI_CONFIG, -EINVAL },
                { "", -EINVAL },
                { NULL, -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_int_equal(layer_media_compression(cases[i].media_type),
                                 cases[i].compression);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_busybox_list),
                cmocka_unit_test(test_buildkit_index),
                cmocka_unit_test(test_busybox_manifest),
                cmocka_unit_test(test_oci_manifest),
                cmocka_unit_test(test_busybox_config),
                cmocka_unit_test(test_full_config),
                cmocka_unit_test(test_config_minimal),
                cmocka_unit_test(test_media_type_sources),
                cmocka_unit_test(test_kind_from_media_type),
                cmocka_unit_test(test_invalid_manifests),
                cmocka_unit_test(test_invalid_configs),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_null_err),
                cmocka_unit_test(test_platform_from_machine),
                cmocka_unit_test(test_platform_host),
                cmocka_unit_test(test_platform_parse),
                cmocka_unit_test(test_platform_parse_invalid),
                cmocka_unit_test(test_select_busybox),
                cmocka_unit_test(test_select_attestations),
                cmocka_unit_test(test_select_amd64),
                cmocka_unit_test(test_select_arm64),
                cmocka_unit_test(test_select_arm),
                cmocka_unit_test(test_select_skips),
                cmocka_unit_test(test_match_rank),
                cmocka_unit_test(test_layer_media_compression),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
