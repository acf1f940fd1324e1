//! The HTTP floor: a bare actix-web endpoint that parses a JSON body and echoes it back.
//! Usage: echo PORT (one worker: the benchmark pins servers to one core).

use actix_web::{App, HttpResponse, HttpServer, post, web};

#[post("/echo")]
async fn echo(body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8090);
    HttpServer::new(|| App::new().service(echo))
        .workers(1)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
