#include "webhook_receiver.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace parley::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// One connection: (TLS handshake,) read one request, record it, answer or hang.
template <typename Stream>
class ReceiverSession : public std::enable_shared_from_this<ReceiverSession<Stream>> {
 public:
  ReceiverSession(WebhookReceiver& owner, Stream stream)
      : owner_(owner), stream_(std::move(stream)) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    }
  }

 private:
  void read() {
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return;
                       self->handle();
                     });
  }

  void handle() {
    ReceivedHook hook;
    hook.method = std::string(request_.method_string());
    hook.target = std::string(request_.target());
    hook.content_type = std::string(request_[http::field::content_type]);
    hook.signature = std::string(request_["Parley-Signature"]);
    hook.body = request_.body();
    hook.json = nlohmann::json::parse(hook.body, nullptr, false);
    if (hook.json.is_discarded()) hook.json = nullptr;
    const unsigned status = owner_.record(std::move(hook));
    if (status == 0) {
      // Hang: keep the connection open; the client's timeout ends it.
      std::lock_guard lock(owner_.mutex_);
      owner_.hung_.push_back(this->shared_from_this());
      return;
    }
    response_.result(status);
    response_.version(11);
    response_.keep_alive(false);
    // 204 and 304 answers carry no body (Beast refuses to prepare one).
    if (status != 204 && status != 304) response_.body() = status / 100 == 2 ? "ok" : "no";
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->stream_)
                            .socket()
                            .shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  WebhookReceiver& owner_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

WebhookReceiver::WebhookReceiver(std::shared_ptr<net::ssl::context> tls)
    : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), tls_(std::move(tls)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

WebhookReceiver::~WebhookReceiver() {
  net::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  ioc_.stop();
  thread_.join();
}

std::string WebhookReceiver::url(const std::string& path, const std::string& host) const {
  return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
}

void WebhookReceiver::set_behaviour(Behaviour behaviour) {
  std::lock_guard lock(mutex_);
  behaviour_ = std::move(behaviour);
}

void WebhookReceiver::accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    {
      std::lock_guard lock(mutex_);
      ++connections_;
    }
    changed_.notify_all();
    if (tls_) {
      using Stream = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<ReceiverSession<Stream>>(*this, Stream(std::move(socket), *tls_))->start();
    } else {
      std::make_shared<ReceiverSession<beast::tcp_stream>>(*this,
                                                           beast::tcp_stream(std::move(socket)))
          ->start();
    }
    accept();
  });
}

unsigned WebhookReceiver::record(ReceivedHook hook) {
  unsigned status = 200;
  {
    std::lock_guard lock(mutex_);
    if (behaviour_) status = behaviour_(hook);
    hook.answered = status;
    requests_.push_back(std::move(hook));
  }
  changed_.notify_all();
  return status;
}

std::vector<ReceivedHook> WebhookReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<ReceivedHook> WebhookReceiver::delivered() const {
  std::lock_guard lock(mutex_);
  std::vector<ReceivedHook> ok;
  for (const auto& hook : requests_)
    if (hook.answered / 100 == 2) ok.push_back(hook);
  return ok;
}

std::size_t WebhookReceiver::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

bool WebhookReceiver::await(const std::function<bool(const std::vector<ReceivedHook>&)>& condition,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return condition(requests_); });
}

bool WebhookReceiver::await_delivered(std::size_t count, std::chrono::milliseconds timeout) {
  return await(
      [count](const std::vector<ReceivedHook>& all) {
        std::size_t ok = 0;
        for (const auto& hook : all) ok += hook.answered / 100 == 2;
        return ok >= count;
      },
      timeout);
}

// ---- Certificates.

namespace {

void run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  if (std::system(quiet.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

}  // namespace

TestCertificates::TestCertificates() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "parley-webhook-certs-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  const std::string d = dir_;
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc";
  run("openssl req -x509" + ec + " -keyout " + d + "/ca.key -out " + d +
      "/ca.pem -subj /CN=parley-test-ca -days 2");
  run("openssl req -x509" + ec + " -keyout " + d + "/rogue-ca.key -out " + d +
      "/rogue-ca.pem -subj /CN=parley-rogue-ca -days 2");
  const auto issue = [&](const std::string& name, const std::string& ca, const std::string& san) {
    run("openssl req" + ec + " -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
        ".csr -subj /CN=" + name);
    // Written here, not by the shell: run() sends the command's output to /dev/null.
    std::ofstream(d + "/" + name + ".ext") << "subjectAltName=" << san << "\n";
    run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/" + ca + ".pem -CAkey " +
        d + "/" + ca + ".key -CAcreateserial -days 2 -out " + d + "/" + name + ".pem -extfile " +
        d + "/" + name + ".ext");
  };
  issue("server", "ca", "IP:127.0.0.1,DNS:localhost");
  issue("wrong-host", "ca", "DNS:other.example");
  issue("untrusted", "rogue-ca", "IP:127.0.0.1,DNS:localhost");
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::shared_ptr<net::ssl::context> TestCertificates::context(const std::string& name) const {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  context->use_certificate_chain_file(dir_ + "/" + name + ".pem");
  context->use_private_key_file(dir_ + "/" + name + ".key", net::ssl::context::pem);
  return context;
}

std::shared_ptr<net::ssl::context> TestCertificates::server_context() const {
  return context("server");
}
std::shared_ptr<net::ssl::context> TestCertificates::wrong_host_context() const {
  return context("wrong-host");
}
std::shared_ptr<net::ssl::context> TestCertificates::untrusted_context() const {
  return context("untrusted");
}

// ---- Signatures.

std::string evp_hmac_sha256_hex(const std::string& key, const std::string& data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  const bool ok =
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) ==
          1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out, &length, sizeof out) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  if (!ok) throw std::runtime_error("EVP_MAC failed");
  std::string hex;
  char pair[3];
  for (std::size_t i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", out[i]);
    hex += pair;
  }
  return hex;
}

std::string signature_problem(const std::string& header, const std::string& body,
                              const std::string& secret) {
  // t=<digits>,v1=<64 hex>
  const auto comma = header.find(',');
  if (header.rfind("t=", 0) != 0 || comma == std::string::npos ||
      header.compare(comma + 1, 3, "v1=") != 0)
    return "malformed header: " + header;
  const std::string t = header.substr(2, comma - 2);
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos)
    return "t is not a number: " + header;
  const std::string v1 = header.substr(comma + 4);
  const std::string expected = evp_hmac_sha256_hex(secret, t + "." + body);
  if (v1 != expected) return "v1 " + v1 + " != " + expected;
  return "";
}

}  // namespace parley::test
