#pragma once
// A message carrying one base64 attachment after a short text body: the
// attachment is part "2" of the tree.

#include <string>
#include <string_view>

#include "unit/content/smime_fixtures.h"

namespace privmilter::testing {

inline std::string attachment_message(std::string_view filename, std::string_view content_type,
                                      std::string_view bytes) {
  return "From: alice@firm.example\r\n"
         "To: bob@client.example\r\n"
         "Subject: documents\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
         "\r\n"
         "--outer\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n"
         "Please find the file attached.\r\n"
         "--outer\r\n"
         "Content-Type: " + std::string(content_type) + "\r\n"
         "Content-Disposition: attachment; filename=\"" + std::string(filename) + "\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n" +
         mime_base64(bytes) + "--outer--\r\n";
}

}  // namespace privmilter::testing
