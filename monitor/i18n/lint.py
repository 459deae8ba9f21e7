"""What the notice linter says: every reason and hint in the notice's language.

``Lint`` holds a reason and a hint per rule. ``JARGON`` groups the technical terms of each
language with a hint written for that group (``{term}`` is the word found), so "rollback"
and "latency" get different advice. ``COMPONENTS`` are names of internal systems that
mean nothing to users (``[comms.linter] components`` adds yours).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.i18n import Catalogue, Msg


class Lint(Catalogue):
    jargon_reason = Msg("technical term users may not know", "termo técnico que o usuário pode não conhecer")
    density_reason = Msg(
        "{count} technical terms in {words} words ({per_100} per 100 words; the limit is {limit}): "
        "users will not understand this notice",
        "{count} termos técnicos em {words} palavras ({per_100} a cada 100; o limite é {limit}): "
        "o usuário não vai entender este aviso")
    density_hint = Msg("rewrite it in plain words: what people saw, what they can do, when we "
                       "will tell them more",
                       "reescreva em palavras simples: o que as pessoas viram, o que podem fazer, "
                       "quando daremos notícias")
    status_code_reason = Msg("HTTP status codes mean nothing to most users",
                             "códigos de status HTTP não dizem nada para a maioria dos usuários")
    status_code_hint = Msg("say what people saw instead of '{term}': 'pages did not load', "
                           "'an error page appeared'",
                           "diga o que as pessoas viram em vez de '{term}': 'as páginas não "
                           "carregavam', 'aparecia uma página de erro'")
    component_reason = Msg("the name of one of our internal systems",
                           "nome de um dos nossos sistemas internos")
    component_hint = Msg("users do not know '{term}': name what they use instead, e.g. 'opening "
                         "short links', 'creating links'",
                         "o usuário não conhece '{term}': diga o que ele usa, ex.: 'abrir links "
                         "curtos', 'criar links'")
    stack_reason = Msg("stack traces and error class names are internal",
                       "rastros de pilha e nomes de classes de erro são internos")
    stack_hint = Msg("remove it; describe the effect on users",
                     "remova; descreva o efeito para o usuário")
    hostname_reason = Msg("internal hostname or service name", "nome interno de servidor ou serviço")
    hostname_hint = Msg("remove '{term}'; name the feature users know (e.g. 'short links')",
                        "remova '{term}'; diga o recurso que o usuário conhece (ex.: 'links curtos')")
    blame_reason = Msg("shifts responsibility away from us; users hold us responsible",
                       "transfere a responsabilidade; o usuário nos considera responsáveis")
    blame_hint = Msg("say what we did and will do, with 'we': e.g. 'we made a change that broke …'",
                     "diga o que nós fizemos e faremos: ex.: 'nós fizemos uma mudança que …'")
    hedge_reason = Msg("vague or minimising; users need to know exactly what happened",
                       "vago ou minimiza o problema; o usuário precisa saber exatamente o que houve")
    region_hint = Msg("say the place people know instead of '{term}': 'South America', 'Europe'",
                      "diga o lugar que as pessoas conhecem em vez de '{term}': 'América do Sul', "
                      "'Europa'")
    hedges_reason = Msg("{count} vague or minimising phrases: the notice does not say plainly "
                        "what happened or take responsibility for it",
                        "{count} expressões vagas ou que minimizam: o aviso não diz com clareza "
                        "o que houve nem assume a responsabilidade")
    hedge_hint = Msg("state what we know plainly; say what we do not know yet",
                     "diga com clareza o que sabemos e o que ainda não sabemos")
    ip_reason = Msg("IP address: internal data", "endereço IP: dado interno")
    ip_hint = Msg("remove it", "remova")
    email_reason = Msg("e-mail address: personal or internal data",
                       "endereço de e-mail: dado pessoal ou interno")
    email_hint = Msg("remove it; point to the support page instead",
                     "remova; indique a página de suporte")
    token_reason = Msg("looks like a secret token or key", "parece um token ou chave secreta")
    token_hint = Msg("remove it and rotate the secret", "remova e troque o segredo")
    url_reason = Msg("internal URL", "URL interna")
    url_hint = Msg("link only to public pages", "use só links de páginas públicas")
    html_reason = Msg("HTML or script in a notice (it will be shown escaped, as text)",
                      "HTML ou script no aviso (será mostrado como texto)")
    html_hint = Msg("write plain text; Candor formats the notice",
                    "escreva texto simples; o Candor formata o aviso")
    missing_reason = Msg("required part '{part}' is empty", "a parte obrigatória '{part}' está vazia")
    missing_hint = Msg("write the '{part}' part", "escreva a parte '{part}'")
    next_update_reason = Msg("no time for the next update: users will not know when to look again",
                             "sem horário para a próxima atualização: o usuário não sabe quando "
                             "voltar a olhar")
    next_update_hint = Msg("set next_update_at (the cadence for this severity says when)",
                           "preencha next_update_at (a cadência desta severidade diz quando)")
    promise_reason = Msg("promises an update without saying when",
                         "promete uma atualização sem dizer quando")
    promise_hint = Msg("give the time ('next update by 10:30 UTC', 'within 30 minutes') or set "
                       "next_update_at",
                       "diga o horário ('próxima atualização até 10h30 (UTC)', 'em até 30 "
                       "minutos') ou preencha next_update_at")
    long_reason = Msg("sentence has {words} words (limit {limit}); long sentences are hard to follow",
                      "a frase tem {words} palavras (limite {limit}); frases longas são difíceis "
                      "de acompanhar")
    long_hint = Msg("split it into two or three short sentences", "divida em duas ou três frases curtas")
    hard_reason = Msg("reading ease {score} is below {limit}: hard to read",
                      "facilidade de leitura {score} abaixo de {limit}: difícil de ler")
    hard_hint = Msg("use shorter words and sentences", "use palavras e frases mais curtas")


@dataclass(frozen=True)
class Jargon:
    """Technical terms of one kind, in each language, and the advice for them."""

    en: tuple[str, ...]
    pt: tuple[str, ...]
    hint: Msg

    def terms(self, lang: str) -> tuple[str, ...]:
        return self.pt if lang == "pt-BR" else self.en


JARGON: tuple[Jargon, ...] = (
    Jargon(("latency", "latencies", "p99", "p95", "p50", "throughput", "error rate", "error rates"),
           ("latência", "latências", "p99", "p95", "p50", "throughput", "vazão", "taxa de erro",
            "taxas de erro", "taxa de erros"),
           Msg("say how long people waited instead of '{term}': 'links took up to 20 seconds to open'",
               "diga quanto tempo as pessoas esperaram em vez de '{term}': 'os links levavam até "
               "20 segundos para abrir'")),
    Jargon(("timeout", "timeouts", "timed out"),
           ("timeout", "timeouts"),
           Msg("say what people saw instead of '{term}': 'pages kept loading and then stopped'",
               "diga o que as pessoas viram em vez de '{term}': 'as páginas ficavam carregando e "
               "depois paravam'")),
    Jargon(("pod", "pods", "node", "nodes", "container", "containers", "cluster", "replica",
            "replicas", "shard", "shards", "kubernetes", "k8s", "microservice", "backend",
            "upstream", "downstream"),
           ("pod", "pods", "cluster", "réplica", "réplicas", "shard", "shards", "kubernetes",
            "k8s", "container", "contêiner", "microsserviço", "microserviço", "backend",
            "upstream", "downstream"),
           Msg("'{term}' is about our machines: say what stopped working for people, e.g. 'short "
               "links did not open'",
               "'{term}' fala das nossas máquinas: diga o que parou de funcionar para as pessoas, "
               "ex.: 'os links curtos não abriam'")),
    Jargon(("rollback", "rolled back", "roll back"),
           ("rollback",),
           Msg("say it plainly instead of '{term}': 'we undid the change'",
               "diga de forma simples em vez de '{term}': 'desfizemos a mudança'")),
    Jargon(("deploy", "deployment", "deployed", "hotfix"),
           ("deploy", "deployment", "hotfix"),
           Msg("say what changed instead of '{term}': 'a change we made', 'a fix we sent out'",
               "diga o que mudou em vez de '{term}': 'uma mudança que fizemos', 'uma correção que "
               "enviamos'")),
    Jargon(("failover", "load balancer", "CDN", "DNS", "packet loss"),
           ("failover", "load balancer", "balanceador de carga", "CDN", "DNS", "perda de pacotes"),
           Msg("'{term}' is our network: say what people could not do, e.g. 'everlinks.io did not "
               "open'",
               "'{term}' é a nossa rede: diga o que as pessoas não conseguiam fazer, ex.: "
               "'everlinks.io não abria'")),
    Jargon(("database", "DB", "SQL", "query", "queries", "cache", "cached"),
           ("banco de dados", "SQL", "consulta SQL", "query", "queries", "cache"),
           Msg("'{term}' is where we keep data: say what people could not do, e.g. 'saved links "
               "did not load'",
               "'{term}' é onde guardamos dados: diga o que as pessoas não conseguiam fazer, ex.: "
               "'os links salvos não carregavam'")),
    Jargon(("OOM", "OOMKilled", "out of memory", "CPU", "memory pressure", "disk full"),
           ("OOM", "CPU", "falta de memória", "disco cheio"),
           Msg("say it plainly instead of '{term}': 'our servers were overloaded'",
               "diga de forma simples em vez de '{term}': 'nossos servidores ficaram "
               "sobrecarregados'")),
    Jargon(("stack trace", "exception", "null pointer", "segfault", "crash loop", "crashloop"),
           ("stack trace", "exceção", "exception", "null pointer", "crash loop"),
           Msg("say what people saw instead of '{term}': 'an error page appeared'",
               "diga o que as pessoas viram em vez de '{term}': 'aparecia uma página de erro'")),
    Jargon(("TLS", "SSL", "certificate"),
           ("TLS", "SSL", "certificado"),
           Msg("say what people saw instead of '{term}': 'browsers showed a security warning'",
               "diga o que as pessoas viram em vez de '{term}': 'o navegador mostrava um aviso de "
               "segurança'")),
    Jargon(("config", "configuration push", "feature flag"),
           ("config", "push de configuração", "feature flag"),
           Msg("say it plainly instead of '{term}': 'a settings change we made'",
               "diga de forma simples em vez de '{term}': 'uma mudança de ajustes que fizemos'")),
    Jargon(("SLO", "error budget", "SLA breach"),
           ("SLO", "error budget", "orçamento de erro"),
           Msg("'{term}' is an internal target: say what people experienced",
               "'{term}' é uma meta interna: diga o que as pessoas viveram")),
    Jargon(("regression", "incident commander", "postmortem", "root cause", "root cause analysis",
            "RCA", "mitigation", "mitigated"),
           ("regressão", "postmortem", "causa raiz", "RCA", "mitigação", "mitigamos"),
           Msg("say it plainly instead of '{term}': 'the problem came back', 'our review of what "
               "went wrong', 'we reduced the problem'",
               "diga de forma simples em vez de '{term}': 'o problema voltou', 'nossa análise do "
               "que deu errado', 'reduzimos o problema'")),
)

COMPONENTS: tuple[str, ...] = (
    "nginx", "apache", "haproxy", "envoy", "istio", "traefik", "varnish", "ingress",
    "kafka", "rabbitmq", "zookeeper", "celery", "sidekiq", "consumer lag", "consumer lagged",
    "consumers lagged", "consumer group", "message queue", "dead letter queue", "cron job",
    "redis", "memcached", "postgres", "postgresql", "mysql", "mongodb", "cassandra",
    "elasticsearch", "opensearch", "etcd", "clickhouse", "s3 bucket", "lambda", "sidecar",
    "grpc", "graphql", "api gateway", "worker pool", "thread pool", "connection pool",
)
"""Internal systems users have never heard of (add yours in ``[comms.linter] components``)."""
