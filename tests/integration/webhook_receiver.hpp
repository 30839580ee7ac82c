// A webhook receiver for tests: a small Beast HTTP(S) server on 127.0.0.1,
// port 0, on its own thread. It records every request and answers as the test
// says (2xx, an error status, or never), and lets the test await requests.
// Also: a test CA with server certificates made by the openssl CLI, and an
// HMAC computed with OpenSSL's EVP API (independent of parley's helper).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>

namespace parley::test {

struct ReceivedHook {
  std::string method;
  std::string target;
  std::string content_type;
  std::string signature;  // the Parley-Signature header
  std::string body;
  nlohmann::json json;    // the parsed body (null when it is not JSON)
  unsigned answered = 0;  // the status sent back; 0: none (hung)
};

class WebhookReceiver {
 public:
  // 0: never answer (the connection stays open until the client gives up).
  using Behaviour = std::function<unsigned(const ReceivedHook&)>;

  // Plain HTTP when `tls` is null, HTTPS with it.
  explicit WebhookReceiver(std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  // e.g. http://127.0.0.1:PORT/hook (https:// with TLS); `host` may be "localhost".
  std::string url(const std::string& path = "/hook", const std::string& host = "127.0.0.1") const;

  // How to answer from now on (default: 200).
  void set_behaviour(Behaviour behaviour);

  // Every request so far, in arrival order.
  std::vector<ReceivedHook> requests() const;
  // The requests answered with a 2xx status, in arrival order.
  std::vector<ReceivedHook> delivered() const;
  // Waits until `condition` holds over requests(); false after `timeout`.
  bool await(const std::function<bool(const std::vector<ReceivedHook>&)>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits until `count` requests were answered 2xx.
  bool await_delivered(std::size_t count,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // TCP connections accepted so far (a TLS one counts even when its handshake fails).
  std::size_t connections() const;

 private:
  template <typename Stream>
  friend class ReceiverSession;
  void accept();
  unsigned record(ReceivedHook hook);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Behaviour behaviour_;
  std::vector<ReceivedHook> requests_;
  std::size_t connections_ = 0;
  std::vector<std::shared_ptr<void>> hung_;  // sessions that never answer
  std::thread thread_;
};

// A CA and certificates made with the openssl CLI in a fresh temporary
// directory (removed by the destructor).
class TestCertificates {
 public:
  TestCertificates();
  ~TestCertificates();
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  // A server context with the certificate for 127.0.0.1 and localhost.
  std::shared_ptr<boost::asio::ssl::context> server_context() const;
  // A server context with a certificate for other.example only (same CA).
  std::shared_ptr<boost::asio::ssl::context> wrong_host_context() const;
  // A server context with a certificate for 127.0.0.1 from a CA nobody trusts.
  std::shared_ptr<boost::asio::ssl::context> untrusted_context() const;

 private:
  std::shared_ptr<boost::asio::ssl::context> context(const std::string& name) const;
  std::string dir_;
};

// Lowercase hex of HMAC-SHA256(key, data), computed with OpenSSL's EVP_MAC.
std::string evp_hmac_sha256_hex(const std::string& key, const std::string& data);

// Checks a Parley-Signature header against `body` under `secret`; an empty
// string when it matches, else what is wrong.
std::string signature_problem(const std::string& header, const std::string& body,
                              const std::string& secret);

}  // namespace parley::test
