/* The route table: Docker's endpoints served so far, each with its body kind. Container and
 * exec routes only pass their bodies through the policy until the container API lands. */
#include "api-internal.h"

const ApiRoute api_routes[] = {
        { "GET", "/_ping", api_ping, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/version", api_version, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/info", api_info, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/system/df", api_system_df, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/events", api_events, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "POST", "/auth", api_auth, API_BODY_JSON, API_CHECK_NONE, NULL },
        { "GET", "/containers/json", api_containers_list, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "POST", "/containers/create", api_containers_create, API_BODY_JSON, API_CHECK_CONTAINER_CREATE, NULL },
        { "POST", "/containers/{name}/exec", api_exec_create, API_BODY_JSON, API_CHECK_EXEC_CREATE, NULL },
        { "GET", "/images/json", api_images_list, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/images/get", api_images_get, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "POST", "/images/create", api_images_create, API_BODY_STREAM, API_CHECK_NONE, api_images_create_begin },
        { "POST", "/images/load", api_images_load, API_BODY_STREAM, API_CHECK_NONE, api_images_load_begin },
        { "POST", "/images/prune", api_images_prune, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/images/{name}/json", api_image_inspect, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/images/{name}/history", api_image_history, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "GET", "/images/{name}/get", api_images_get, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "POST", "/images/{name}/tag", api_image_tag, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "POST", "/images/{name}/push", api_image_push, API_BODY_NONE, API_CHECK_NONE, NULL },
        { "DELETE", "/images/{name}", api_image_delete, API_BODY_NONE, API_CHECK_NONE, NULL },
};
const size_t api_routes_n = ELEMENTSOF(api_routes);
