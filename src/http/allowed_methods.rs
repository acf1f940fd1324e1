//! Which methods each path answers, derived from the OpenAPI description of the mounted routes.
//!
//! actix routes a request whose path exists but whose method does not as "no match" (404);
//! RFC 9110 wants 405 with an `Allow` header, and SCIM clients and conformance tools check it.
//! The error shaper asks this table before answering 404.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;

#[derive(Debug, Default)]
pub struct AllowedMethods {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl AllowedMethods {
    pub fn from_openapi(openapi: &utoipa::openapi::OpenApi) -> Self {
        let routes = openapi
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::HEAD, item.get.is_some() || item.head.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::OPTIONS, item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods a path answers, if it is a known path.
    pub fn for_path(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}
