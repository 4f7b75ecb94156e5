// The peer for the benchmarks: @neo4j/graphql 7.6 on Apollo Server 5 over the same Neo4j.
//
// Type definitions mirror our stored model (docs/MODEL.md). The map workloads are @cypher
// fields holding the same Cypher as our raw variant; bench/run.py writes those statements to
// a JSON file and passes its path in PEER_CYPHER, so both sides run literally the same text.
// The customer list (W7) and the writes (W8) use the library's generated queries.
//
//   NEO4J_URI=bolt://... NEO4J_PASSWORD=... PORT=4000 PEER_CYPHER=/tmp/cypher.json node server.js

import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const cypher = JSON.parse(readFileSync(process.env.PEER_CYPHER, "utf8"));

// A GraphQL block string cannot hold `"""`; our statements never contain it.
const field = (name, args, type, key) =>
  `  ${name}${args}: ${type} @cypher(statement: """${cypher[key]}""", columnName: "result")`;

const typeDefs = `#graphql
type Company @node {
  id: ID!
  name: String!
  nameEn: String
  industry: String
  tier: String
  lifecycleStage: String
  customerCode: String
  version: Int
  employees: [Person!]! @relationship(type: "WORKS_AT", direction: IN)
}

type Customer @node(labels: ["Customer", "Company"]) {
  id: ID!
  name: String!
  nameEn: String
  industry: String
  tier: String
  lifecycleStage: String
  customerCode: String
}

type Person @node {
  id: ID!
  name: String!
  nameEn: String
  version: Int
  worksAt: [Company!]! @relationship(type: "WORKS_AT", direction: OUT)
}

type MapNode {
  id: ID!
  kind: String
  name: String
  nameEn: String
  isCustomer: Boolean
  tier: String
  lifecycleStage: String
  title: String
  department: String
  depth: Int
  role: String
  stance: String
  hidden: Boolean
}

type MapEdge {
  id: ID
  source: ID!
  target: ID!
  type: String!
  since: String
  until: String
  kind: String
  strength: Float
  polarity: String
}

type GraphMap {
  nodes: [MapNode!]!
  edges: [MapEdge!]!
  truncated: Boolean
}

type RelatedAccount {
  id: ID!
  name: String
  score: Float!
  via: [String!]!
}

type RelPath {
  nodes: [MapNode!]!
  edges: [MapEdge!]!
  strength: Float
}

type Query {
${field("accountMap", "(center: ID!, limit: Int = 500, asOf: String)", "GraphMap", "W1")}
${field("groupHierarchy", "(company: ID!, asOf: String)", "GraphMap", "W2")}
${field("contactMap", "(company: ID!, limit: Int = 500, asOf: String)", "GraphMap", "W3")}
${field("decisionTree", "(project: ID!, asOf: String)", "GraphMap", "W4")}
${field("relatedAccounts", "(company: ID!, first: Int = 20)", "[RelatedAccount!]!", "W5")}
${field("warmIntroPaths", "(target: ID!, first: Int = 5)", "[RelPath!]!", "W6")}
}
`;

const driver = neo4j.driver(
  process.env.NEO4J_URI,
  neo4j.auth.basic(process.env.NEO4J_USER || "neo4j", process.env.NEO4J_PASSWORD),
);
const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const schema = await neoSchema.getSchema();
const server = new ApolloServer({ schema });
const port = Number(process.env.PORT || 4000);
const { url } = await startStandaloneServer(server, {
  listen: { port, host: "127.0.0.1" },
  context: async () => ({ sessionConfig: { database: "neo4j" } }),
});
console.log(`peer ready at ${url}`);
