// Policy evaluation time per message against a firm directory of 1, 1,000
// and 100,000 matters: the matter rules (authorized recipients, ethical
// walls, lookalikes of client domains) must cost about the same whatever
// the size of the directory. The baseline in the same run is the same
// message against a policy without matter rules.
//
//   ./bench/matter_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "privmilter/directory.h"
#include "privmilter/firm_directory.h"
#include "privmilter/message_facts.h"
#include "privmilter/policy.h"

namespace {

using namespace privmilter;

constexpr int kMattersPerClient = 5;

std::string client_id(int index) { return std::to_string(10000 + index); }

std::string matter_number(int index) {
  const std::string number = std::to_string(index % kMattersPerClient + 1);
  return client_id(index / kMattersPerClient) + "-" + std::string(4 - number.size(), '0') + number;
}

std::string client_domain(int client) { return "client" + std::to_string(client) + "-holdings.example"; }

// A deterministic firm: matters spread over clients, each client with its
// domain, every matter with a co-counsel domain, a wall per 100 matters.
Directory firm_of(int matters) {
  FirmDirectoryTables tables;
  tables.users = {{"alice@examplelaw.com", "alice", "Alice", {"litigation"}},
                  {"carol@examplelaw.com", "carol", "Carol", {"corporate"}}};
  const int clients = (matters + kMattersPerClient - 1) / kMattersPerClient;
  for (int client = 0; client < clients; ++client) {
    tables.clients.push_back({client_id(client), "Client " + std::to_string(client), {client_domain(client)}});
  }
  for (int matter = 0; matter < matters; ++matter) {
    tables.matters.push_back({matter_number(matter), client_id(matter / kMattersPerClient), "Matter",
                              {"cocounsel" + std::to_string(matter % 97) + ".example"}, {}});
    if (matter % 100 == 0) {
      tables.walls.push_back({"wall-" + std::to_string(matter), "", {"carol"}, {}, {matter_number(matter)}, {}});
    }
  }
  tables.webmail_domains = {"gmail.com", "outlook.com", "yahoo.com"};
  auto firm = std::make_shared<const FirmDirectory>(std::move(tables), std::vector<std::string>{"examplelaw.com"});
  return Directory({"examplelaw.com"}, {}, std::move(firm));
}

constexpr const char* kMatterPolicy = R"(version: 1
matters:
  pattern: '\b\d{5}[-.]\d{4}\b'
rules:
  - id: walled-sender
    when: { sender: walled }
    action: reject
  - id: unauthorized
    when: { all: [ { matter: known }, { recipient: unauthorized } ] }
    action: remove_recipients
  - id: walled-recipient
    when: { recipient: walled }
    action: remove_recipients
  - id: lookalike
    when: { recipient: lookalike }
    action: quarantine
  - id: webmail
    when: { all: [ { matter: known }, { recipient: webmail } ] }
    action: reject
  - id: tag
    when: { recipient: external }
    action: tag
    header: { name: X-Privmilter, value: scanned }
)";

constexpr const char* kBaselinePolicy = R"(version: 1
rules:
  - id: tag
    when: { recipient: external }
    action: tag
    header: { name: X-Privmilter, value: scanned }
)";

MessageFacts message_about(int matters) {
  MessageFacts facts;
  facts.subject = "Re: " + matter_number(matters - 1) + " next steps";
  std::string text = "Dear all,\n\nfollowing our call about matter " + matter_number(matters / 2) +
                     " and the related matter " + matter_number(0) + ", please find the revised schedule.\n";
  for (int paragraph = 0; paragraph < 20; ++paragraph) {
    text += "The parties agree to exchange the documents listed in the schedule before the hearing, "
            "subject to the court's order on confidentiality and the agreed protocol.\n";
  }
  facts.segments = {{SegmentKind::subject, "subject", facts.subject}, {SegmentKind::body, "1 text/plain", text}};
  facts.message_bytes = text.size();
  return facts;
}

Envelope envelope_for(int matters) {
  Envelope envelope;
  envelope.sender = "alice@examplelaw.com";
  envelope.auth_authen = "alice";
  envelope.recipients = {"gc@" + client_domain((matters / 2) / kMattersPerClient), "lead@cocounsel3.example",
                         "carol@examplelaw.com", "someone@" + client_domain(0) + ".co", "friend@gmail.com"};
  return envelope;
}

void run(benchmark::State& state, const char* policy_yaml) {
  const int matters = static_cast<int>(state.range(0));
  const Directory directory = firm_of(matters);
  auto policy = load_policy_string(policy_yaml, "bench.yaml");
  if (!policy) {
    state.SkipWithError(policy.error().message.c_str());
    return;
  }
  const MessageFacts facts = message_about(matters);
  const Envelope envelope = envelope_for(matters);
  std::size_t fired = 0;
  for (auto _ : state) {
    const Verdict verdict = evaluate(**policy, facts, envelope, directory);
    fired = verdict.fired.size();
    benchmark::DoNotOptimize(verdict.action);
  }
  state.counters["matters"] = matters;
  state.counters["rules_fired"] = static_cast<double>(fired);
}

void BM_EvaluateWithMatterRules(benchmark::State& state) { run(state, kMatterPolicy); }
void BM_EvaluateBaselineNoMatterRules(benchmark::State& state) { run(state, kBaselinePolicy); }

BENCHMARK(BM_EvaluateBaselineNoMatterRules)->Arg(1)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EvaluateWithMatterRules)->Arg(1)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
